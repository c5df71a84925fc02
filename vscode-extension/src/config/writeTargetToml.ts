// Pure: the textual edit that sets the top-level `target` of a TOML config. It replaces
// a root `target = …` (or dotted `target.… = …`) line in place, removes `[target]` and
// `[target.…]` tables, and otherwise adds the key at the end of the root table.
// Returns undefined for layouts it does not edit (a multi-line value, `[[target]]`).
import { joinLines, splitLines, type Line } from './textEdit';
import type { TargetValue } from './writeTarget';

const KEY = String.raw`(?:target|"target"|'target')`;
const ROOT_TARGET = new RegExp(String.raw`^\s*${KEY}\s*(?:=|\.)`);
const TARGET_TABLE = new RegExp(String.raw`^\s*\[\s*${KEY}\s*(?:\]|\.)`);
const TARGET_ARRAY_TABLE = new RegExp(String.raw`^\s*\[\[\s*${KEY}\s*(?:\]\]|\.)`);
const HEADER = /^\s*\[/;
const BLANK_OR_COMMENT = /^\s*(?:#.*)?$/;

/** A TOML basic string; JSON's escapes are valid TOML, DEL is the one control JSON leaves raw. */
export function tomlString(s: string): string {
  return JSON.stringify(s).replace(/\x7f/g, '\\u007f');
}

/** For each line, whether it starts outside a multi-line string (so it can hold a key or header). */
export function tomlCodeLines(lines: string[]): boolean[] {
  const out: boolean[] = [];
  let open: string | undefined;
  for (const line of lines) {
    out.push(open === undefined);
    let i = 0;
    while (i < line.length) {
      if (open !== undefined) {
        if (open === '"""' && line[i] === '\\') {
          i += 2;
        } else if (line.startsWith(open, i)) {
          i += 3;
          // Up to two quotes right before the delimiter belong to the string.
          while (line[i] === open[0]) {
            i += 1;
          }
          open = undefined;
        } else {
          i += 1;
        }
        continue;
      }
      const c = line[i];
      if (c === '#') {
        break;
      }
      if (line.startsWith('"""', i) || line.startsWith("'''", i)) {
        open = line.slice(i, i + 3);
        i += 3;
      } else if (c === '"' || c === "'") {
        i += 1;
        while (i < line.length && line[i] !== c) {
          i += c === '"' && line[i] === '\\' ? 2 : 1;
        }
        i += 1;
      } else {
        i += 1;
      }
    }
  }
  return out;
}

export function setTargetInTomlText(text: string, value: TargetValue): string | undefined {
  const source = splitLines(text);
  const lines = source.map((l) => l.text);
  const code = tomlCodeLines(lines);
  const isHeader = (i: number) => code[i] && HEADER.test(lines[i]);
  let rootEnd = lines.findIndex((_, i) => isHeader(i));
  if (rootEnd < 0) {
    rootEnd = lines.length;
  }

  const remove = new Set<number>();
  let replaceAt: number | undefined;
  for (let i = 0; i < rootEnd; i++) {
    if (code[i] && ROOT_TARGET.test(lines[i])) {
      if (i + 1 < lines.length && !code[i + 1]) {
        return undefined; // the value is a multi-line string
      }
      replaceAt ??= i;
      remove.add(i);
    }
  }
  for (let i = rootEnd; i < lines.length; i++) {
    if (!isHeader(i)) {
      continue;
    }
    if (TARGET_ARRAY_TABLE.test(lines[i])) {
      return undefined;
    }
    if (!TARGET_TABLE.test(lines[i])) {
      continue;
    }
    // The table runs to its last key; comments and blank lines after it stay with the next table.
    let end = i;
    for (let j = i + 1; j < lines.length && !isHeader(j); j++) {
      if (!code[j] || !BLANK_OR_COMMENT.test(lines[j])) {
        end = j;
      }
    }
    for (let k = i; k <= end; k++) {
      remove.add(k);
    }
    // Do not leave two blank lines where the table was.
    const after = end + 1;
    if (i > 0 && lines[i - 1].trim() === '' && (after >= lines.length || lines[after].trim() === '')) {
      remove.add(i - 1);
    }
  }

  const entry = `target = { path = ${tomlString(value.path)}, namespace = ${tomlString(value.namespace)} }`;
  let insertAt: number;
  let inserted: string[];
  if (replaceAt !== undefined) {
    insertAt = replaceAt;
    inserted = [(/^\s*/.exec(lines[replaceAt]) ?? [''])[0] + entry];
  } else {
    insertAt = rootEnd;
    if (rootEnd < lines.length) {
      // Comments and blank lines right above the first table belong to it.
      while (insertAt > 0 && code[insertAt - 1] && BLANK_OR_COMMENT.test(lines[insertAt - 1])) {
        insertAt -= 1;
      }
      if (insertAt === 0 && rootEnd > 0 && lines[0].trimStart().startsWith('#')) {
        // Only comments in the root: keep the file's leading comment on top.
        insertAt = 1;
        while (insertAt < rootEnd && lines[insertAt].trimStart().startsWith('#')) {
          insertAt += 1;
        }
      }
    }
    inserted = [entry];
    const next = lines[insertAt];
    if (next !== undefined && next.trim() !== '') {
      inserted.push('');
    }
  }

  const out: Line[] = [];
  for (let i = 0; i <= lines.length; i++) {
    if (i === insertAt) {
      out.push(...inserted.map((t) => ({ text: t, end: '' })));
    }
    if (i < lines.length && !remove.has(i)) {
      out.push(source[i]);
    }
  }
  return joinLines(out, text);
}
