// Pure: decides how the server process is started from the settings.
import type { MirrordSettings } from './settings';

export type ServerPlan =
  | { kind: 'path'; command: string; args: string[]; setting: 'mirrord.server.path' }
  | { kind: 'python'; python: string; setting: 'mirrord.server.python' }
  | { kind: 'bundled'; wheel: string }
  | { kind: 'interpreter' };

export const SERVE_MODULE_ARGS = ['-m', 'mirrord_ide', 'serve'];

export function planServer(settings: MirrordSettings, bundledWheel: string | undefined): ServerPlan {
  if (settings.serverPath) {
    return { kind: 'path', command: settings.serverPath, args: ['serve'], setting: 'mirrord.server.path' };
  }
  if (settings.serverPython) {
    return { kind: 'python', python: settings.serverPython, setting: 'mirrord.server.python' };
  }
  if (bundledWheel) {
    return { kind: 'bundled', wheel: bundledWheel };
  }
  // A development build without a wheel: use an interpreter that has the package.
  return { kind: 'interpreter' };
}
