// Runs a child process to completion, streaming its output line by line.
import { spawn } from 'node:child_process';

export interface ProcResult {
  code: number | null;
  stdout: string;
  stderr: string;
  // Set when the process could not be started at all (e.g. ENOENT).
  spawnError?: string;
}

export function runProcess(
  command: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; onLine?: (line: string) => void; timeoutMs?: number } = {},
): Promise<ProcResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let settled = false;
    const finish = (result: ProcResult) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve(result);
      }
    };
    let child;
    try {
      child = spawn(command, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      finish({ code: null, stdout, stderr, spawnError: String(err) });
      return;
    }
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          child.kill('SIGKILL');
          finish({ code: null, stdout, stderr: `${stderr}\ntimed out after ${opts.timeoutMs} ms` });
        }, opts.timeoutMs)
      : undefined;
    const lines = (chunk: string) => {
      for (const line of chunk.split(/\r?\n/)) {
        if (line.trim()) {
          opts.onLine?.(line);
        }
      }
    };
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
      lines(c);
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
      lines(c);
    });
    child.on('error', (err) => finish({ code: null, stdout, stderr, spawnError: err.message }));
    child.on('close', (code) => finish({ code, stdout, stderr }));
  });
}

/** The last few non-empty lines of a process's output, for error messages. */
export function tail(text: string, count = 3): string {
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim())
    .slice(-count)
    .join(' | ');
}
