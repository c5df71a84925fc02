import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandVariables, resolvePathSetting } from '../../src/common/paths';

const ctx = { workspaceFolder: '/ws/app', folders: { lib: '/ws/lib' }, home: '/home/u', env: { KUBE: '/k/config' } };

describe('path settings', () => {
  it('expands workspace, home and env variables', () => {
    expect(expandVariables('${workspaceFolder}/kube.yaml', ctx)).toBe('/ws/app/kube.yaml');
    expect(expandVariables('${workspaceFolder:lib}/x', ctx)).toBe('/ws/lib/x');
    expect(expandVariables('${env:KUBE}', ctx)).toBe('/k/config');
    expect(expandVariables('~/.kube/config', ctx)).toBe(path.join('/home/u', '.kube/config'));
    expect(expandVariables('${userHome}/x', ctx)).toBe('/home/u/x');
  });

  it('resolves relative paths against the workspace folder, not the cwd', () => {
    expect(resolvePathSetting('.venv/bin/python', ctx)).toBe('/ws/app/.venv/bin/python');
    expect(resolvePathSetting('./kube/../config', ctx)).toBe('/ws/app/config');
  });

  it('leaves bare command names for PATH lookup and empty values empty', () => {
    expect(resolvePathSetting('mirrord-ide', ctx)).toBe('mirrord-ide');
    expect(resolvePathSetting('  ', ctx)).toBe('');
    expect(resolvePathSetting(undefined, ctx)).toBe('');
  });
});
