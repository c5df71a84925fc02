import { describe, expect, it } from 'vitest';
import { activeOverride, applySessionEnv, launchEnv, mergeEnv, type LaunchConfig } from '../../src/debug/env';

const base: LaunchConfig = { type: 'node', name: 'App', request: 'launch' };

describe('launch env', () => {
  it('reads env objects and environment arrays', () => {
    expect(launchEnv({ ...base, env: { A: '1', B: null } })).toEqual({ A: '1' });
    expect(launchEnv({ ...base, environment: [{ name: 'X', value: 'y' }] })).toEqual({ X: 'y' });
  });

  it('MIRRORD_ACTIVE forces mirrord on or off', () => {
    expect(activeOverride({ ...base, env: { MIRRORD_ACTIVE: '1' } })).toBe(true);
    expect(activeOverride({ ...base, env: { MIRRORD_ACTIVE: '0' } })).toBe(false);
    expect(activeOverride({ ...base, env: { MIRRORD_ACTIVE: 'true' } })).toBe(true);
    expect(activeOverride({ ...base, environment: [{ name: 'MIRRORD_ACTIVE', value: '0' }] })).toBe(false);
    expect(activeOverride({ ...base, env: {} })).toBeUndefined();
    expect(activeOverride(base)).toBeUndefined();
  });

  it('merges the injected env over the launch env without mutating it', () => {
    const config = { ...base, env: { A: 'local', KEEP: 'k' } };
    const merged = mergeEnv(config, { A: 'remote', B: 'b' });
    expect(merged.env).toEqual({ A: 'remote', KEEP: 'k', B: 'b' });
    expect(config.env).toEqual({ A: 'local', KEEP: 'k' });
  });

  it('creates env when the launch has none', () => {
    expect(mergeEnv(base, { B: 'b' }).env).toEqual({ B: 'b' });
  });

  it('updates cppdbg-style environment arrays', () => {
    const merged = mergeEnv({ ...base, type: 'cppdbg', environment: [{ name: 'A', value: 'local' }, { name: 'C', value: 'c' }] }, { A: 'remote' });
    expect(merged.environment).toEqual([{ name: 'C', value: 'c' }, { name: 'A', value: 'remote' }]);
    expect(merged.env).toBeUndefined();
  });
});

describe('applying a session', () => {
  it('sets the session env and removes envToUnset names; removal wins', () => {
    const config = { ...base, type: 'python', env: { A: 'local', GONE: 'x' } };
    const applied = applySessionEnv(config, { B: 'b', GONE: 'remote' }, ['GONE']);
    expect(applied.env).toEqual({ A: 'local', B: 'b' });
    expect(config.env).toEqual({ A: 'local', GONE: 'x' });
  });

  it('gives js-debug null for each unset name, so inherited variables go too', () => {
    expect(applySessionEnv({ ...base, type: 'pwa-node' }, { B: 'b' }, ['HOME_TOKEN']).env).toEqual({ B: 'b', HOME_TOKEN: null });
  });

  it('changes nothing more without names to unset', () => {
    expect(applySessionEnv(base, { B: 'b' }).env).toEqual({ B: 'b' });
    expect(applySessionEnv(base, { B: 'b' }, ['', 'B']).env).toEqual({ B: null });
  });
});
