// Pure: writes a target choice into a mirrord config (JSON, TOML or YAML) as a small
// textual edit of the top-level `target` key, keeping comments and layout. TOML and
// YAML edits are checked with a parser: if the result does not read back as the old
// config with the new target, the file is left alone and the user is told why.
import { isDeepStrictEqual } from 'node:util';
import { applyEdits, modify, parse, type ParseError } from 'jsonc-parser';
import { load as loadYaml } from 'js-yaml';
import { parse as parseToml } from 'smol-toml';
import { setTargetInTomlText } from './writeTargetToml';
import { setTargetInYamlText } from './writeTargetYaml';

const FORMAT = { formattingOptions: { insertSpaces: true, tabSize: 2, eol: '\n' } };

export class ConfigEditError extends Error {}

export type ConfigFormat = 'json' | 'toml' | 'yaml';

export interface TargetValue {
  path: string;
  namespace: string;
}

/** mirrord picks the parser by extension; no extension means JSON. */
export function configFormat(fileName: string): ConfigFormat | undefined {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  const ext = dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
  switch (ext) {
    case '':
    case 'json':
      return 'json';
    case 'toml':
      return 'toml';
    case 'yaml':
    case 'yml':
      return 'yaml';
    default:
      return undefined;
  }
}

function targetValue(target: string | null, namespace: string): TargetValue {
  return { path: target ?? 'targetless', namespace };
}

/** `target: null` means targetless. Returns the new text. */
export function setTargetInJson(text: string, target: string | null, namespace: string): string {
  const errors: ParseError[] = [];
  const source = text.trim() ? text : '{}\n';
  const root: unknown = parse(source, errors, { allowTrailingComma: true });
  if (errors.length || typeof root !== 'object' || root === null || Array.isArray(root)) {
    throw new ConfigEditError('the config is not a valid JSON object; fix it before saving a target into it');
  }
  const edits = modify(source, ['target'], targetValue(target, namespace), FORMAT);
  return applyEdits(source, edits);
}

export function setTargetInToml(text: string, target: string | null, namespace: string): string {
  const value = targetValue(target, namespace);
  return checked('TOML', text, value, (t) => parseToml(t), () => setTargetInTomlText(text, value));
}

export function setTargetInYaml(text: string, target: string | null, namespace: string): string {
  const value = targetValue(target, namespace);
  return checked('YAML', text, value, (t) => loadYaml(t) ?? {}, () => setTargetInYamlText(text, value));
}

/** The new text of a config file of the given name with the target set. */
export function setTargetInConfig(fileName: string, text: string, target: string | null, namespace: string): string {
  switch (configFormat(fileName)) {
    case 'json':
      return setTargetInJson(text, target, namespace);
    case 'toml':
      return setTargetInToml(text, target, namespace);
    case 'yaml':
      return setTargetInYaml(text, target, namespace);
    default:
      throw new ConfigEditError('mirrord reads only .json, .toml, .yaml and .yml configs');
  }
}

function checked(
  format: string,
  text: string,
  value: TargetValue,
  read: (text: string) => unknown,
  edit: () => string | undefined,
): string {
  let before: unknown;
  try {
    before = read(text);
  } catch {
    throw new ConfigEditError(`the config is not valid ${format}; fix it before saving a target into it`);
  }
  if (typeof before !== 'object' || before === null || Array.isArray(before)) {
    throw new ConfigEditError(`the config's top level is not a ${format} table of settings`);
  }
  const handEdit = new ConfigEditError(
    `this ${format} layout cannot be edited safely; set the top-level target by hand to path "${value.path}", namespace "${value.namespace}"`,
  );
  const next = edit();
  if (next === undefined) {
    throw handEdit;
  }
  let after: unknown;
  try {
    after = read(next);
  } catch {
    throw handEdit;
  }
  const expected = { ...(before as Record<string, unknown>), target: value };
  if (!isDeepStrictEqual(normalise(after), normalise(expected))) {
    throw handEdit;
  }
  return next;
}

/** Plain data for comparison: parsers differ in prototypes (null-prototype tables, date classes). */
function normalise(v: unknown): unknown {
  if (Array.isArray(v)) {
    return v.map(normalise);
  }
  if (v instanceof Date) {
    try {
      return `date:${v.toISOString()}`;
    } catch {
      return `date:${String(v)}`;
    }
  }
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      out[k] = normalise((v as Record<string, unknown>)[k]);
    }
    return out;
  }
  return v;
}
