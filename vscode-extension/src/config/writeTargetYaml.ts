// Pure: the textual edit that sets the top-level `target` of a YAML config. It replaces
// the block of a root `target:` key (the key line and the indented lines under it) or
// appends the key at the end, indented like the rest of the file. Returns undefined
// for a root that is not a block mapping at column 0.
import { joinLines, splitLines, type Line } from './textEdit';
import type { TargetValue } from './writeTarget';

const ROOT_TARGET = /^(?:target|"target"|'target')\s*:(?:\s|$)/;
const BLANK = /^\s*$/;
const COMMENT = /^\s*#/;

/** The file's indentation step: the smallest indentation of a content line, else 2. */
export function yamlIndentUnit(lines: string[]): number {
  let unit = 0;
  for (const line of lines) {
    if (BLANK.test(line) || COMMENT.test(line)) {
      continue;
    }
    const n = (/^ */.exec(line) ?? [''])[0].length;
    if (n > 0 && (unit === 0 || n < unit)) {
      unit = n;
    }
  }
  return unit > 0 && unit <= 8 ? unit : 2;
}

export function setTargetInYamlText(text: string, value: TargetValue): string | undefined {
  const source = splitLines(text);
  const lines = source.map((l) => l.text);
  const firstContent = lines.find((l) => !BLANK.test(l) && !COMMENT.test(l) && !l.startsWith('%') && l !== '---');
  if (firstContent !== undefined && (/^\s/.test(firstContent) || /^[{[]/.test(firstContent))) {
    return undefined; // an indented or flow-style root
  }
  const ind = ' '.repeat(yamlIndentUnit(lines));
  const block = ['target:', `${ind}path: ${JSON.stringify(value.path)}`, `${ind}namespace: ${JSON.stringify(value.namespace)}`];

  const remove = new Set<number>();
  let replaceAt: number | undefined;
  for (let i = 0; i < lines.length; i++) {
    if (!ROOT_TARGET.test(lines[i])) {
      continue;
    }
    // The value is every following indented line; blank lines and root comments
    // after it stay with the next key.
    let last = i;
    for (let j = i + 1; j < lines.length; j++) {
      if (BLANK.test(lines[j]) || lines[j].startsWith('#')) {
        continue;
      }
      if (!/^\s/.test(lines[j])) {
        break;
      }
      last = j;
    }
    replaceAt ??= i;
    for (let k = i; k <= last; k++) {
      remove.add(k);
    }
    i = last;
  }

  const added = block.map((t) => ({ text: t, end: '' }));
  const out: Line[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (i === replaceAt) {
      out.push(...added);
    }
    if (!remove.has(i)) {
      out.push(source[i]);
    }
  }
  if (replaceAt === undefined) {
    out.push(...added);
  }
  return joinLines(out, text);
}
