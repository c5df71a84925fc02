// The TypeScript side of the client contract: the shared table of config file cases
// (contract/cases/config-files.json) through the extension's own detection.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ErrorKind } from '../../src/common/protocol';
import { CONTRACT, globToRegex } from '../../src/config/contract';
import { isConfigFileName } from '../../src/config/find';

interface Case {
  path: string;
  config: boolean;
  format: string | null;
}

const CASES = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'contract', 'cases', 'config-files.json'), 'utf8')) as {
  cases: Case[];
};

describe('the client contract', () => {
  it.each(CASES.cases)('$path is a config: $config', (c) => {
    expect(isConfigFileName(c.path)).toBe(c.config);
    expect(isConfigFileName(c.path.replace(/\//g, '\\'))).toBe(c.config);
  });

  it('translates globs as the other readers do', () => {
    expect(globToRegex('**/a.{x,y}')).toBe('(?:.*/)?a\\.(?:x|y)');
    expect(globToRegex('*.b')).toBe('[^/]*\\.b');
  });

  it('knows every error kind of the contract', () => {
    expect(CONTRACT.protocolVersion).toBe(2);
    const kinds: Record<ErrorKind, true> = {
      unreachable: true,
      unauthorized: true,
      forbidden: true,
      'not-found': true,
      'invalid-config': true,
      timeout: true,
      conflict: true,
    };
    expect(Object.keys(CONTRACT.errors.codes).sort()).toEqual(Object.keys(kinds).sort());
  });
});
