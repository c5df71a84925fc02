// Finds a Python interpreter: the Python extension's active one when installed, else python3.
import * as vscode from 'vscode';
import { runProcess, tail } from './proc';

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
    resolveEnvironment(env: { path: string } | string): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
  };
}

export async function pythonFromExtension(resource?: vscode.Uri): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!ext) {
    return undefined;
  }
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    const envs = api?.environments;
    if (!envs) {
      return undefined;
    }
    const resolved = await envs.resolveEnvironment(envs.getActiveEnvironmentPath(resource));
    return resolved?.executable.uri?.fsPath;
  } catch {
    return undefined;
  }
}

export async function findBasePython(resource?: vscode.Uri): Promise<string> {
  return (await pythonFromExtension(resource)) ?? 'python3';
}

export const MIN_PYTHON: [number, number] = [3, 11];

/** Checks that `python` runs and is new enough; returns a reason when it is not usable. */
export async function checkPython(python: string): Promise<string | undefined> {
  const r = await runProcess(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
    timeoutMs: 20000,
  });
  if (r.spawnError) {
    return `cannot run Python interpreter "${python}": ${r.spawnError}`;
  }
  if (r.code !== 0) {
    return `Python interpreter "${python}" failed: ${tail(r.stderr)}`;
  }
  const [major, minor] = r.stdout.trim().split('.').map(Number);
  if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
    return `Python ${r.stdout.trim()} at "${python}" is too old: the mirrord server needs Python ${MIN_PYTHON.join('.')} or newer`;
  }
  return undefined;
}
