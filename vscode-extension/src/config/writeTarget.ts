// Pure: writes a target choice into a mirrord JSON config, keeping comments and layout.
import { applyEdits, modify, parse, type ParseError } from 'jsonc-parser';

const FORMAT = { formattingOptions: { insertSpaces: true, tabSize: 2, eol: '\n' } };

export class ConfigEditError extends Error {}

/** `target: null` means targetless. Returns the new text. */
export function setTargetInJson(text: string, target: string | null, namespace: string): string {
  const errors: ParseError[] = [];
  const source = text.trim() ? text : '{}\n';
  const root = parse(source, errors, { allowTrailingComma: true });
  if (errors.length || typeof root !== 'object' || root === null || Array.isArray(root)) {
    throw new ConfigEditError('the config is not a valid JSON object; fix it before saving a target into it');
  }
  const value = { path: target ?? 'targetless', namespace };
  const edits = modify(source, ['target'], value, FORMAT);
  return applyEdits(source, edits);
}
