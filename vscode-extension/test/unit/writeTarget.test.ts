import * as fs from 'node:fs';
import * as path from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { parse as parseToml } from 'smol-toml';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { saveTargetToConfig } from '../../src/config/commands';
import { minimalChange } from '../../src/config/textEdit';
import { ConfigEditError, configFormat, setTargetInConfig, setTargetInToml, setTargetInYaml } from '../../src/config/writeTarget';
import * as mockVscode from '../__mocks__/vscode';

// mirrord's own configs, beside the repository when present (<repo>/../shared/reference).
const REFERENCE = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'reference', 'mirrord', 'configs');
const REFERENCE_TOML = fs.existsSync(REFERENCE) ? fs.readdirSync(REFERENCE).filter((n) => n.endsWith('.toml')) : [];
const A = { path: 'pod/a/container/app', namespace: 'shop' };

describe('TOML', () => {
  it('adds target at the end of the root table, before the first table and its comment', () => {
    const text = 'skip_processes = ["a"]\n\n# network\n[feature.network]\nincoming = "steal"\n';
    expect(setTargetInToml(text, A.path, A.namespace)).toBe(
      'skip_processes = ["a"]\ntarget = { path = "pod/a/container/app", namespace = "shop" }\n\n# network\n[feature.network]\nincoming = "steal"\n',
    );
  });

  it('replaces a root target line in place, quoted keys and dotted keys included', () => {
    expect(setTargetInToml('target = "pod/old" # old\n\n[feature]\nfs = "read"\n', null, 'default')).toBe(
      'target = { path = "targetless", namespace = "default" }\n\n[feature]\nfs = "read"\n',
    );
    expect(setTargetInToml('"target" = { path = "x" }\n', 'pod/a', 'x')).toBe('target = { path = "pod/a", namespace = "x" }\n');
    expect(setTargetInToml('target.path = "pod/x"\ntarget.namespace = "y"\nagent.ttl = 5\n', 'pod/a', 'x')).toBe(
      'target = { path = "pod/a", namespace = "x" }\nagent.ttl = 5\n',
    );
  });

  it('removes [target] tables and keeps what follows', () => {
    const text = 'skip_processes = ["a"]\n\n[target]\npath = "pod/old"\nnamespace = "x"\n\n# fs\n[feature]\nfs = "read"\n';
    const out = setTargetInToml(text, 'deployment/web', 'x');
    expect(out).toBe('skip_processes = ["a"]\ntarget = { path = "deployment/web", namespace = "x" }\n\n# fs\n[feature]\nfs = "read"\n');
    expect(parseToml(out)).toEqual({ skip_processes: ['a'], target: { path: 'deployment/web', namespace: 'x' }, feature: { fs: 'read' } });
  });

  it('does not mistake a multi-line string for keys, and keeps CRLF', () => {
    const text = 'a = """\r\ntarget = 1\n[target]\n"""\r\n';
    expect(parseToml(setTargetInToml(text, 'pod/a', 'x')).a).toBe('target = 1\n[target]\n');
    const crlf = setTargetInToml('[feature]\r\nfs = "read"\r\n', 'pod/a', 'x');
    expect(crlf).toBe('target = { path = "pod/a", namespace = "x" }\r\n\r\n[feature]\r\nfs = "read"\r\n');
    expect(setTargetInToml('', 'pod/a', 'x')).toBe('target = { path = "pod/a", namespace = "x" }\n');
  });

  it('escapes names and refuses layouts it cannot edit safely, leaving the file alone', () => {
    expect(parseToml(setTargetInToml('', 'pod/we"ird\\', 'x')).target).toEqual({ path: 'pod/we"ird\\', namespace: 'x' });
    expect(() => setTargetInToml('target = """\npod/x\n"""\n', 'pod/a', 'x')).toThrow(/set the top-level target by hand to path "pod\/a"/);
    expect(() => setTargetInToml('[[target]]\npath = "x"\n', 'pod/a', 'x')).toThrow(ConfigEditError);
    expect(() => setTargetInToml('[feature\n', 'pod/a', 'x')).toThrow(/not valid TOML/);
  });

  it.skipIf(REFERENCE_TOML.length === 0)('keeps every other setting of a real mirrord TOML config', () => {
    for (const name of REFERENCE_TOML) {
      const text = fs.readFileSync(path.join(REFERENCE, name), 'utf8');
      const out = setTargetInToml(text, 'pod/a', 'x');
      expect(parseToml(out)).toEqual({ ...parseToml(text), target: { path: 'pod/a', namespace: 'x' } });
    }
  });
});

describe('YAML', () => {
  it('replaces the block of a root target, indented like the file', () => {
    const text = '# cfg\nfeature:\n    network:\n        incoming: steal\ntarget: pod/old\nagent:\n    ttl: 5\n';
    expect(setTargetInYaml(text, A.path, A.namespace)).toBe(
      '# cfg\nfeature:\n    network:\n        incoming: steal\ntarget:\n    path: "pod/a/container/app"\n    namespace: "shop"\nagent:\n    ttl: 5\n',
    );
    const nested = 'target:\n  path: pod/old # c\n\n  namespace: x\n\n# about agent\nagent:\n  ttl: 5\n';
    expect(setTargetInYaml(nested, null, 'default')).toBe(
      'target:\n  path: "targetless"\n  namespace: "default"\n\n# about agent\nagent:\n  ttl: 5\n',
    );
  });

  it('appends target when missing, also to an empty file', () => {
    expect(setTargetInYaml('feature:\n  fs: read', 'pod/a', 'x')).toBe('feature:\n  fs: read\ntarget:\n  path: "pod/a"\n  namespace: "x"');
    expect(setTargetInYaml('', 'pod/a', 'x')).toBe('target:\n  path: "pod/a"\n  namespace: "x"\n');
    expect(loadYaml(setTargetInYaml('---\n# only a comment\n', 'pod/a', 'x'))).toEqual({ target: { path: 'pod/a', namespace: 'x' } });
  });

  it('refuses what is not a block mapping, or not YAML', () => {
    expect(() => setTargetInYaml('{feature: {fs: read}}', 'pod/a', 'x')).toThrow(/by hand/);
    expect(() => setTargetInYaml('- a\n', 'pod/a', 'x')).toThrow(/top level/);
    expect(() => setTargetInYaml('feature: [\n', 'pod/a', 'x')).toThrow(/not valid YAML/);
    expect(() => setTargetInYaml('a: 1\n...\n', 'pod/a', 'x')).toThrow(ConfigEditError);
  });
});

describe('choosing the format', () => {
  it('follows mirrord: by extension, none means JSON', () => {
    expect(configFormat('/w/.mirrord/mirrord.json')).toBe('json');
    expect(configFormat('/w/mirrord')).toBe('json');
    expect(configFormat('/w/dev.mirrord.TOML')).toBe('toml');
    expect(configFormat('/w/a.yml')).toBe('yaml');
    expect(configFormat('/w/a.txt')).toBeUndefined();
    expect(JSON.parse(setTargetInConfig('/w/m.json', '{}', 'pod/a', 'x'))).toEqual({ target: { path: 'pod/a', namespace: 'x' } });
    expect(() => setTargetInConfig('/w/a.ini', '', 'pod/a', 'x')).toThrow(/only .json, .toml, .yaml/);
  });
});

describe('minimal change', () => {
  it('replaces only the differing middle', () => {
    expect(minimalChange('abc', 'abc')).toBeUndefined();
    expect(minimalChange('a = 1\nb = 2\n', 'a = 1\nt = 9\nb = 2\n')).toEqual({ start: 6, end: 6, text: 't = 9\n' });
    expect(minimalChange('x😀y', 'x😃y')).toEqual({ start: 1, end: 3, text: '😃' });
    const c = minimalChange('a\r\nb', 'a\nb')!;
    expect('a\r\nb'.slice(0, c.start) + c.text + 'a\r\nb'.slice(c.end)).toBe('a\nb');
  });
});

describe('saving a target into the config file', () => {
  afterEach(() => vi.clearAllMocks());

  function openDoc(text: string) {
    const offsets = (o: number) => ({ line: 0, character: o });
    const doc = { getText: () => text, positionAt: offsets, save: vi.fn(() => Promise.resolve(true)) };
    mockVscode.workspace.openTextDocument.mockImplementation(() => Promise.resolve(doc));
    return doc;
  }

  it('edits only the target lines of a YAML config and saves it', async () => {
    const doc = openDoc('feature:\n  fs: read\ntarget: pod/old\n');
    await saveTargetToConfig('pod/new', 'shop', '/ws/.mirrord/mirrord.yaml');
    const edit = mockVscode.workspace.applyEdit.mock.calls[0][0] as { edits: Array<{ range: { start: { character: number } }; text: string }> };
    expect(edit.edits).toHaveLength(1);
    expect(edit.edits[0].range.start.character).toBe('feature:\n  fs: read\ntarget:'.length);
    expect(edit.edits[0].text).toContain('path: "pod/new"');
    expect(doc.save).toHaveBeenCalled();
    expect(mockVscode.window.showInformationMessage).toHaveBeenCalledWith(expect.stringContaining('saved pod/new'));
  });

  it('writes TOML too, and leaves a file it cannot edit untouched with a clear reason', async () => {
    openDoc('[feature]\nfs = "read"\n');
    await saveTargetToConfig('pod/new', 'shop', '/ws/mirrord.toml');
    expect(mockVscode.workspace.applyEdit).toHaveBeenCalledTimes(1);
    const doc = openDoc('target = """\npod/x\n"""\n');
    await expect(saveTargetToConfig('pod/new', 'shop', '/ws/mirrord.toml')).rejects.toThrow(/by hand/);
    expect(mockVscode.workspace.applyEdit).toHaveBeenCalledTimes(1);
    expect(doc.save).not.toHaveBeenCalled();
  });

  it('reports an editor that refuses the edit', async () => {
    openDoc('{}');
    mockVscode.workspace.applyEdit.mockImplementationOnce(() => Promise.resolve(false));
    await expect(saveTargetToConfig('pod/new', 'shop', '/ws/mirrord.json')).rejects.toThrow(/could not be edited/);
  });
});
