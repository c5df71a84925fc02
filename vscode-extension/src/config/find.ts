// Which mirrord config file a launch uses: MIRRORD_CONFIG_FILE from the launch env,
// else the config open in the editor, else the first `.mirrord/*mirrord.{json,toml,yaml,yml}`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolvePathSetting, type ExpansionContext } from '../common/paths';
import { CONFIG_EXTENSIONS, matchesConfigGlobs } from './contract';

const EXT = CONFIG_EXTENSIONS.join('|');
const HAS_CONFIG_EXT = new RegExp(`\\.(?:${EXT})$`);
const MIRRORD_NAME = new RegExp(`mirrord\\.(?:${EXT})$`);

/** The contract's rule (server/mirrord_ide/contract.json), as the server and the JetBrains plugin apply it. */
export function isConfigFileName(file: string): boolean {
  return matchesConfigGlobs(file);
}

/** Pure choice among the files of a `.mirrord` folder: `*mirrord.*` first, alphabetical. */
export function chooseConfigFile(names: string[]): string | undefined {
  const candidates = names.filter((n) => HAS_CONFIG_EXT.test(n)).sort();
  return candidates.find((n) => MIRRORD_NAME.test(n)) ?? candidates[0];
}

export interface FindOptions {
  folder?: string;
  launchEnv?: Record<string, string>;
  activeFile?: string;
  ctx: ExpansionContext;
}

export function findConfigFile(opts: FindOptions): string | undefined {
  const fromEnv = opts.launchEnv?.MIRRORD_CONFIG_FILE;
  if (fromEnv) {
    return resolvePathSetting(fromEnv, { ...opts.ctx, workspaceFolder: opts.folder ?? opts.ctx.workspaceFolder });
  }
  if (opts.activeFile && isConfigFileName(opts.activeFile) && (!opts.folder || opts.activeFile.startsWith(opts.folder + path.sep))) {
    return opts.activeFile;
  }
  if (!opts.folder) {
    return undefined;
  }
  const dir = path.join(opts.folder, '.mirrord');
  try {
    const chosen = chooseConfigFile(fs.readdirSync(dir));
    if (chosen) {
      return path.join(dir, chosen);
    }
  } catch {
    // no .mirrord folder
  }
  for (const name of ['mirrord.json', 'mirrord.toml', 'mirrord.yaml', 'mirrord.yml']) {
    if (fs.existsSync(path.join(opts.folder, name))) {
      return path.join(opts.folder, name);
    }
  }
  return undefined;
}
