// Pure path expansion for settings and launch configs: `${workspaceFolder}`,
// `${workspaceFolder:name}`, `${env:NAME}`, `${userHome}` and `~`. Relative paths are
// resolved against the workspace folder, never against the extension host's cwd.
import * as path from 'node:path';

export interface ExpansionContext {
  workspaceFolder?: string;
  // Folder name → path, for `${workspaceFolder:name}` in multi-root workspaces.
  folders?: Record<string, string>;
  home: string;
  env: Record<string, string | undefined>;
}

export function expandVariables(value: string, ctx: ExpansionContext): string {
  let out = value.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
    if (name === 'workspaceFolder' || name === 'workspaceRoot') {
      return ctx.workspaceFolder ?? whole;
    }
    if (name.startsWith('workspaceFolder:')) {
      return ctx.folders?.[name.slice('workspaceFolder:'.length)] ?? whole;
    }
    if (name === 'userHome') {
      return ctx.home;
    }
    if (name.startsWith('env:')) {
      return ctx.env[name.slice(4)] ?? '';
    }
    return whole;
  });
  if (out === '~' || out.startsWith('~/')) {
    out = path.join(ctx.home, out.slice(1));
  }
  return out;
}

/** Expands a path setting; empty stays empty, relative becomes workspace-relative. */
export function resolvePathSetting(value: string | undefined, ctx: ExpansionContext): string {
  const trimmed = (value ?? '').trim();
  if (!trimmed) {
    return '';
  }
  const expanded = expandVariables(trimmed, ctx);
  if (path.isAbsolute(expanded)) {
    return path.normalize(expanded);
  }
  // A bare command name (e.g. `python3`, `mirrord-ide`) is looked up on PATH.
  if (!expanded.includes('/') && !expanded.includes(path.sep)) {
    return expanded;
  }
  return ctx.workspaceFolder ? path.resolve(ctx.workspaceFolder, expanded) : expanded;
}
