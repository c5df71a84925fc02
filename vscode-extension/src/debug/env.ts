// Pure: reading and merging a launch configuration's environment. Debuggers keep it
// either in `env` (an object: node, python, go, java, lldb…) or in `environment`
// (an array of {name, value}: cppdbg, cppvsdbg).

export interface LaunchConfig {
  type: string;
  name: string;
  request: string;
  env?: Record<string, string | null | undefined>;
  environment?: Array<{ name: string; value: string }>;
  [key: string]: unknown;
}

export function launchEnv(config: LaunchConfig): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(config.environment)) {
    for (const e of config.environment) {
      if (e && typeof e.name === 'string' && typeof e.value === 'string') {
        out[e.name] = e.value;
      }
    }
  }
  if (config.env && typeof config.env === 'object') {
    for (const [k, v] of Object.entries(config.env)) {
      if (typeof v === 'string') {
        out[k] = v;
      }
    }
  }
  return out;
}

/** `MIRRORD_ACTIVE` in the launch env forces mirrord on (1/true) or off (0/false). */
export function activeOverride(config: LaunchConfig): boolean | undefined {
  const v = launchEnv(config).MIRRORD_ACTIVE?.trim().toLowerCase();
  if (v === '1' || v === 'true') {
    return true;
  }
  if (v === '0' || v === 'false') {
    return false;
  }
  return undefined;
}

/**
 * Debug types whose adapter (js-debug) removes a variable given as `null` in `env`, so a
 * name the debuggee would inherit from VS Code's own environment can be taken away too.
 */
const NULL_UNSETS = new Set(['node', 'pwa-node', 'node-terminal', 'pwa-extensionHost', 'extensionHost']);

/**
 * A copy of the config with the session's `env` added and the `envToUnset` names removed:
 * from the launch's own `env`/`environment`, and, where the debugger can express it,
 * from what the debuggee inherits. Removal wins over an injected value of the same name.
 */
export function applySessionEnv<T extends LaunchConfig>(config: T, env: Record<string, string>, envToUnset: readonly string[] = []): T {
  const unset = new Set(envToUnset.filter((n) => typeof n === 'string' && n.length > 0));
  const injected = Object.fromEntries(Object.entries(env).filter(([k]) => !unset.has(k)));
  const next = mergeEnv(config, injected);
  if (unset.size === 0) {
    return next;
  }
  if (Array.isArray(next.environment)) {
    next.environment = next.environment.filter((e) => !unset.has(e.name));
  }
  if (next.env) {
    const own: Record<string, string | null | undefined> = { ...next.env };
    for (const name of unset) {
      delete own[name];
    }
    next.env = own;
  }
  if (NULL_UNSETS.has(config.type)) {
    next.env = { ...(next.env ?? {}) };
    for (const name of unset) {
      next.env[name] = null;
    }
  }
  return next;
}

/** A copy of the config with `injected` added; injected values win over the launch's own. */
export function mergeEnv<T extends LaunchConfig>(config: T, injected: Record<string, string>): T {
  const next: T = { ...config };
  const hasArray = Array.isArray(config.environment);
  if (hasArray) {
    const list = (config.environment ?? []).filter((e) => !(e.name in injected));
    next.environment = [...list, ...Object.entries(injected).map(([name, value]) => ({ name, value }))];
  }
  if (!hasArray || config.env) {
    next.env = { ...(config.env ?? {}), ...injected };
  }
  return next;
}
