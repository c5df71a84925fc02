// The client contract shared with the server and the JetBrains core
// (server/mirrord_ide/contract.json, bundled into the extension at build time).
import contractJson from '../../../server/mirrord_ide/contract.json';

export interface ConfigFileRule {
  caseSensitive: boolean;
  extensions: Record<string, 'json' | 'toml' | 'yaml'>;
  globs: string[];
  folder: string;
}

export interface Contract {
  protocolVersion: number;
  configFiles: ConfigFileRule;
  errors: { codes: Record<string, number>; fallbackCode: number };
}

export const CONTRACT: Contract = contractJson as unknown as Contract;

/** A contract glob as a regular expression: `**\/` is any number of folders, `*` anything but `/`, `{a,b}` either. */
export function globToRegex(glob: string): string {
  let out = '';
  let i = 0;
  while (i < glob.length) {
    if (glob.startsWith('**/', i)) {
      out += '(?:.*/)?';
      i += 3;
    } else if (glob[i] === '*') {
      out += '[^/]*';
      i += 1;
    } else if (glob[i] === '{') {
      const end = glob.indexOf('}', i);
      out += '(?:' + glob.slice(i + 1, end).split(',').map(escape).join('|') + ')';
      i = end + 1;
    } else {
      out += escape(glob[i]);
      i += 1;
    }
  }
  return out;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

const CONFIG_FILE = new RegExp(
  `^(?:${CONTRACT.configFiles.globs.map((g) => `(?:${globToRegex(g)})`).join('|')})$`,
  CONTRACT.configFiles.caseSensitive ? '' : 'i',
);

/** Whether a file (any path; backslashes are separators too) is a mirrord config by the contract's globs. */
export function matchesConfigGlobs(file: string): boolean {
  return CONFIG_FILE.test(file.replace(/\\/g, '/'));
}

/** The extensions mirrord reads, exactly as written. */
export const CONFIG_EXTENSIONS: string[] = Object.keys(CONTRACT.configFiles.extensions);
