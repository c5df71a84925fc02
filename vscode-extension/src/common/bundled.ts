// The server shipped inside the extension as a wheel: on first start it is installed
// into a private virtual environment under the extension's global storage. A single
// portable folder is not possible because the server has compiled dependencies.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runProcess, tail } from './proc';

export class ServerSetupError extends Error {}

export function findBundledWheel(extensionPath: string): string | undefined {
  const dir = path.join(extensionPath, 'dist', 'server');
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return undefined;
  }
  const wheels = names.filter((n) => n.startsWith('mirrord_ide-') && n.endsWith('.whl')).sort();
  return wheels.length ? path.join(dir, wheels[wheels.length - 1]) : undefined;
}

export function venvPython(venvDir: string): string {
  return process.platform === 'win32'
    ? path.join(venvDir, 'Scripts', 'python.exe')
    : path.join(venvDir, 'bin', 'python');
}

/** The pinned dependency versions built next to the wheel (`constraints.txt`), if any. */
export function bundledConstraints(wheel: string): string | undefined {
  const file = path.join(path.dirname(wheel), 'constraints.txt');
  return fs.existsSync(file) ? file : undefined;
}

function wheelStamp(wheel: string): string {
  const st = fs.statSync(wheel);
  const constraints = bundledConstraints(wheel);
  const pinned = constraints ? ` ${fs.readFileSync(constraints, 'utf8').length}` : '';
  return `${path.basename(wheel)} ${st.size}${pinned}`;
}

export interface EnsureEnvOptions {
  storageDir: string;
  wheel: string;
  basePython: string;
  report: (message: string) => void;
  onOutput?: (line: string) => void;
  extraPipArgs?: string[];
}

/** True when the private environment already holds this wheel. */
export function isEnvironmentCurrent(storageDir: string, wheel: string): boolean {
  const venvDir = path.join(storageDir, 'server-env');
  try {
    return (
      fs.existsSync(venvPython(venvDir)) &&
      fs.readFileSync(path.join(venvDir, '.mirrord-wheel'), 'utf8') === wheelStamp(wheel)
    );
  } catch {
    return false;
  }
}

/** Creates or updates the private environment; returns its Python. */
export async function ensureServerEnvironment(opts: EnsureEnvOptions): Promise<string> {
  const venvDir = path.join(opts.storageDir, 'server-env');
  const python = venvPython(venvDir);
  if (isEnvironmentCurrent(opts.storageDir, opts.wheel)) {
    return python;
  }
  fs.mkdirSync(opts.storageDir, { recursive: true });
  if (!fs.existsSync(python)) {
    opts.report(`creating a Python environment with ${opts.basePython}`);
    const r = await runProcess(opts.basePython, ['-m', 'venv', venvDir], { onLine: opts.onOutput, timeoutMs: 120000 });
    if (r.spawnError || r.code !== 0) {
      fs.rmSync(venvDir, { recursive: true, force: true });
      const why = r.spawnError ?? tail(r.stdout + r.stderr);
      const hint = /ensurepip|venv/.test(why) ? ' (on Debian/Ubuntu install the python3-venv package)' : '';
      throw new ServerSetupError(`could not create a virtual environment with "${opts.basePython}": ${why}${hint}`);
    }
  }
  opts.report('installing the mirrord server and its dependencies');
  // The dependency versions the extension was built and tested with, when it ships them.
  const constraints = bundledConstraints(opts.wheel);
  const pinned = constraints ? ['-c', constraints] : [];
  const pip = await runProcess(
    python,
    ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--upgrade', ...pinned, opts.wheel, ...(opts.extraPipArgs ?? [])],
    { onLine: opts.onOutput, timeoutMs: 600000 },
  );
  if (pip.spawnError || pip.code !== 0) {
    throw new ServerSetupError(`installing the server failed: ${pip.spawnError ?? tail(pip.stdout + pip.stderr)}`);
  }
  const check = await runProcess(python, ['-c', 'import mirrord_ide'], { timeoutMs: 60000 });
  if (check.code !== 0) {
    throw new ServerSetupError(`the installed server does not import: ${tail(check.stderr)}`);
  }
  fs.writeFileSync(path.join(venvDir, '.mirrord-wheel'), wheelStamp(opts.wheel));
  return python;
}
