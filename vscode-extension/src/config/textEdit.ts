// Pure: the smallest single replacement that turns one text into another, so saving a
// target touches only the changed lines (undo, folding and the cursor stay put).

export interface TextChange {
  start: number;
  end: number;
  text: string;
}

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

export function minimalChange(before: string, after: string): TextChange | undefined {
  if (before === after) {
    return undefined;
  }
  const max = Math.min(before.length, after.length);
  let start = 0;
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) {
    start += 1;
  }
  let endB = before.length;
  let endA = after.length;
  while (endB > start && endA > start && before.charCodeAt(endB - 1) === after.charCodeAt(endA - 1)) {
    endB -= 1;
    endA -= 1;
  }
  // Never split a surrogate pair or a CRLF.
  if (start > 0 && (isHigh(before.charCodeAt(start - 1)) || (before[start - 1] === '\r' && before[start] === '\n'))) {
    start -= 1;
  }
  if (endB < before.length && (isLow(before.charCodeAt(endB)) || (before[endB] === '\n' && before[endB - 1] === '\r'))) {
    endB += 1;
    endA += 1;
  }
  return { start, end: endB, text: after.slice(start, endA) };
}

/** A line and its own terminator ('' for a last line without one). */
export interface Line {
  text: string;
  end: string;
}

export function splitLines(text: string): Line[] {
  const out: Line[] = [];
  let i = 0;
  while (i < text.length) {
    const j = text.indexOf('\n', i);
    if (j < 0) {
      out.push({ text: text.slice(i), end: '' });
      break;
    }
    const cr = j > i && text[j - 1] === '\r';
    out.push({ text: text.slice(i, cr ? j - 1 : j), end: cr ? '\r\n' : '\n' });
    i = j + 1;
  }
  return out;
}

/**
 * Joins edited lines: added lines use the file's usual line ending, kept lines their own;
 * the text ends with a line break exactly when the original did (an empty file gets one).
 */
export function joinLines(lines: Line[], original: string): string {
  const eol = original.includes('\r\n') ? '\r\n' : '\n';
  const finalBreak = original === '' || original.endsWith('\n');
  return lines
    .map((l, i) => {
      if (i < lines.length - 1) {
        return l.text + (l.end || eol);
      }
      return l.text + (finalBreak ? l.end || eol : '');
    })
    .join('');
}
