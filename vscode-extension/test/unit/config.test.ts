import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'jsonc-parser';
import { afterEach, describe, expect, it } from 'vitest';
import { chooseConfigFile, findConfigFile, isConfigFileName } from '../../src/config/find';
import { CONFIG_TEMPLATE } from '../../src/config/template';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

describe('config files', () => {
  it('recognises the names the server validates', () => {
    for (const f of ['/a/mirrord.json', '/a/dev.mirrord.yaml', '/a/.mirrord/anything.toml', '/a/mirrord.yml']) {
      expect(isConfigFileName(f)).toBe(true);
    }
    for (const f of ['/a/package.json', '/a/notmirrord.json', '/a/.mirrord/readme.md']) {
      expect(isConfigFileName(f)).toBe(false);
    }
  });

  it('prefers *mirrord.* in .mirrord, alphabetically', () => {
    expect(chooseConfigFile(['z.json', 'b.mirrord.toml', 'a.mirrord.json', 'notes.txt'])).toBe('a.mirrord.json');
    expect(chooseConfigFile(['z.json', 'b.yaml'])).toBe('b.yaml');
    expect(chooseConfigFile(['notes.txt'])).toBeUndefined();
  });

  it('finds the launch env file first, relative to the folder, then .mirrord', () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'mirrord-ws-'));
    dirs.push(ws);
    const ctx = { workspaceFolder: ws, home: os.homedir(), env: {} };
    expect(findConfigFile({ folder: ws, ctx })).toBeUndefined();
    fs.mkdirSync(path.join(ws, '.mirrord'));
    fs.writeFileSync(path.join(ws, '.mirrord', 'mirrord.json'), '{}');
    expect(findConfigFile({ folder: ws, ctx })).toBe(path.join(ws, '.mirrord', 'mirrord.json'));
    expect(findConfigFile({ folder: ws, ctx, launchEnv: { MIRRORD_CONFIG_FILE: 'conf/dev.json' } })).toBe(path.join(ws, 'conf', 'dev.json'));
    expect(findConfigFile({ folder: ws, ctx, launchEnv: { MIRRORD_CONFIG_FILE: '${workspaceFolder}/x.json' } })).toBe(path.join(ws, 'x.json'));
    const active = path.join(ws, 'other.mirrord.yaml');
    expect(findConfigFile({ folder: ws, ctx, activeFile: active })).toBe(active);
  });

  it('creates configs from a template mirrord reads', () => {
    const parsed = parse(CONFIG_TEMPLATE) as { feature: { network: { incoming: unknown } } };
    expect(parsed.feature.network.incoming).toBe('mirror');
  });
});
