// Builds the server's wheel into dist/server/ so the .vsix carries it.
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
