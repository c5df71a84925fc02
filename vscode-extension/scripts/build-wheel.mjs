// Builds the server's wheel into dist/server/ so the .vsix carries it, with constraints.txt:
// the exact dependency versions of the build environment, which the first start installs.
// Python: $PYTHON, else <repo>/.venv/bin/python, else python3.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ext = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(ext, '..');
const out = join(ext, 'dist', 'server');
const venvPython = join(root, '.venv', 'bin', 'python');
const python = process.env.PYTHON || (existsSync(venvPython) ? venvPython : 'python3');

rmSync(out, { recursive: true, force: true });
// setuptools builds in <repo>/build and ships whatever a previous build left there (modules
// since moved or deleted): start from an empty one.
rmSync(join(root, 'build'), { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const r = spawnSync(python, ['-m', 'pip', 'wheel', '--no-deps', '--disable-pip-version-check', '-q', '-w', out, root], {
  stdio: 'inherit',
});
if (r.error || r.status !== 0) {
  console.error(`building the server wheel with ${python} failed${r.error ? `: ${r.error.message}` : ''}`);
  process.exit(1);
}
const wheels = readdirSync(out).filter((n) => n.endsWith('.whl'));
if (wheels.length !== 1) {
  console.error(`expected one wheel in ${out}, found: ${wheels.join(', ') || 'none'}`);
  process.exit(1);
}
console.log(`server wheel: dist/server/${wheels[0]}`);

// The versions the first start installs: those of this (tested) environment.
const pin = spawnSync(python, [join(ext, 'scripts', 'pin-deps.py'), join(out, wheels[0]), join(out, 'constraints.txt')], {
  stdio: 'inherit',
});
if (pin.error || pin.status !== 0) {
  console.error(`pinning the server's dependencies with ${python} failed${pin.error ? `: ${pin.error.message}` : ''}`);
  process.exit(1);
}
