// The first-start path: a real virtual environment created from a real wheel.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledConstraints, ensureServerEnvironment, findBundledWheel, isEnvironmentCurrent, ServerSetupError, venvPython } from '../../src/common/bundled';
import { planServer } from '../../src/common/launch';
import type { MirrordSettings } from '../../src/common/settings';

const PYTHON = process.env.PYTHON || 'python3';
let tmp: string;
let wheel: string;

// A minimal wheel of a `mirrord_ide` package (argv[2]: a requirement), built without network access.
const MAKE_WHEEL = `
import sys, zipfile, hashlib, base64
out = sys.argv[1]
requires = "".join(f"Requires-Dist: {r}\\n" for r in sys.argv[2:])
files = {
  "mirrord_ide/__init__.py": "VERSION = 'test'\\n",
  "mirrord_ide/__main__.py": "print('served')\\n",
  "mirrord_ide-0.0.1.dist-info/METADATA": "Metadata-Version: 2.1\\nName: mirrord-ide\\nVersion: 0.0.1\\n" + requires,
  "mirrord_ide-0.0.1.dist-info/WHEEL": "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
record = []
with zipfile.ZipFile(out, "w") as z:
    for name, text in files.items():
        data = text.encode()
        z.writestr(name, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append("mirrord_ide-0.0.1.dist-info/RECORD,,")
    z.writestr("mirrord_ide-0.0.1.dist-info/RECORD", "\\n".join(record) + "\\n")
`;

// A wheel of `pinned-dep` at version argv[2].
const MAKE_DEP_WHEEL = `
import sys, zipfile, hashlib, base64
out, version = sys.argv[1], sys.argv[2]
info = f"pinned_dep-{version}.dist-info"
files = {
  "pinned_dep/__init__.py": "",
  f"{info}/METADATA": f"Metadata-Version: 2.1\\nName: pinned-dep\\nVersion: {version}\\n",
  f"{info}/WHEEL": "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
record = []
with zipfile.ZipFile(out, "w") as z:
    for name, text in files.items():
        data = text.encode()
        z.writestr(name, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    z.writestr(f"{info}/RECORD", "\\n".join(record) + "\\n")
`;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mirrord-bundled-'));
  fs.mkdirSync(path.join(tmp, 'ext', 'dist', 'server'), { recursive: true });
  wheel = path.join(tmp, 'ext', 'dist', 'server', 'mirrord_ide-0.0.1-py3-none-any.whl');
  execFileSync(PYTHON, ['-c', MAKE_WHEEL, wheel]);
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const settings = (over: Partial<MirrordSettings> = {}): MirrordSettings => ({
  serverPath: '',
  serverPython: '',
  kubeconfig: '',
  context: '',
  enabledByDefault: false,
  engine: 'auto',
  cliPath: '',
  ...over,
});

describe('server start plan', () => {
  it('prefers mirrord.server.path, then mirrord.server.python, then the bundled wheel', () => {
    expect(planServer(settings({ serverPath: '/opt/bin/mirrord-ide', serverPython: '/usr/bin/python3' }), wheel)).toEqual({
      kind: 'path',
      command: '/opt/bin/mirrord-ide',
      args: ['serve'],
      setting: 'mirrord.server.path',
    });
    expect(planServer(settings({ serverPython: '/usr/bin/python3' }), wheel)).toMatchObject({ kind: 'python', python: '/usr/bin/python3' });
    expect(planServer(settings(), wheel)).toEqual({ kind: 'bundled', wheel });
    expect(planServer(settings(), undefined)).toEqual({ kind: 'interpreter' });
  });

  it('finds the wheel shipped in the extension', () => {
    expect(findBundledWheel(path.join(tmp, 'ext'))).toBe(wheel);
    expect(findBundledWheel(path.join(tmp, 'nowhere'))).toBeUndefined();
  });
});

describe('private server environment', () => {
  it('creates a venv, installs the wheel with progress, and reuses it on the next start', async () => {
    const storage = path.join(tmp, 'storage');
    const messages: string[] = [];
    const python = await ensureServerEnvironment({
      storageDir: storage,
      wheel,
      basePython: PYTHON,
      report: (m) => messages.push(m),
      extraPipArgs: ['--no-index'],
    });
    expect(python).toBe(venvPython(path.join(storage, 'server-env')));
    expect(messages).toEqual(['creating a Python environment with ' + PYTHON, 'installing the mirrord server and its dependencies']);
    expect(execFileSync(python, ['-m', 'mirrord_ide'], { encoding: 'utf8' }).trim()).toBe('served');
    expect(isEnvironmentCurrent(storage, wheel)).toBe(true);

    const again: string[] = [];
    await ensureServerEnvironment({ storageDir: storage, wheel, basePython: PYTHON, report: (m) => again.push(m) });
    expect(again).toEqual([]);
  });

  it('installs the dependency versions pinned in constraints.txt next to the wheel', async () => {
    // A package index with two versions of a dependency; the server wheel requires it unpinned.
    const index = path.join(tmp, 'index');
    fs.mkdirSync(index, { recursive: true });
    for (const version of ['1.0', '2.0']) {
      execFileSync(PYTHON, ['-c', MAKE_DEP_WHEEL, path.join(index, `pinned_dep-${version}-py3-none-any.whl`), version]);
    }
    const dir = path.join(tmp, 'pinned', 'dist', 'server');
    fs.mkdirSync(dir, { recursive: true });
    const server = path.join(dir, 'mirrord_ide-0.0.1-py3-none-any.whl');
    execFileSync(PYTHON, ['-c', MAKE_WHEEL, server, 'pinned-dep']);
    fs.writeFileSync(path.join(dir, 'constraints.txt'), 'pinned-dep==1.0\n');
    expect(bundledConstraints(server)).toBe(path.join(dir, 'constraints.txt'));
    expect(bundledConstraints(wheel)).toBeUndefined();
    const storage = path.join(tmp, 'pinned-storage');
    const python = await ensureServerEnvironment({
      storageDir: storage,
      wheel: server,
      basePython: PYTHON,
      report: () => undefined,
      extraPipArgs: ['--no-index', '--find-links', index],
    });
    const version = execFileSync(python, ['-c', 'import importlib.metadata as m; print(m.version("pinned-dep"))'], { encoding: 'utf8' });
    expect(version.trim()).toBe('1.0');
  });

  it('says why when the environment cannot be created', async () => {
    const attempt = ensureServerEnvironment({
      storageDir: path.join(tmp, 'broken'),
      wheel,
      basePython: path.join(tmp, 'no-such-python'),
      report: () => undefined,
    });
    await expect(attempt).rejects.toThrow(ServerSetupError);
    await expect(attempt).rejects.toThrow(/could not create a virtual environment with ".*no-such-python"/);
    expect(fs.existsSync(path.join(tmp, 'broken', 'server-env'))).toBe(false);
  });
});
