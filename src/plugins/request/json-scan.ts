/**
 * One pass over the raw bytes of a JSON body, before and beside JSON.parse, for what JSON.parse
 * does not refuse but a validating gateway must:
 *
 * - Nesting depth. V8's JSON.parse is iterative, so deep nesting does not overflow its stack,
 *   but it is slow (seconds for millions of `[`), and recursive code after it (a schema with
 *   `$ref` to itself, the upstream's own parser) may overflow. The scan stops at the first
 *   bracket past the limit, so a pathological body costs almost nothing.
 * - Duplicate object keys. JSON.parse keeps the last value; some upstream parsers keep the first,
 *   so `{"qty": 1, "qty": "x"}` could pass validation as one thing and be read as another.
 *
 * Structural characters are ASCII and never occur inside a UTF-8 multi-byte sequence, so bytes
 * are scanned directly. On invalid JSON the result is meaningless but the scan is still O(n) and
 * never throws; callers report invalid JSON from JSON.parse first.
 */

export interface ScanResult {
  /** The nesting limit was exceeded (scan stopped there). */
  tooDeep: boolean;
  /** Path to the object holding a repeated key, and the key, for the first repeat found. */
  duplicate: { path: (string | number)[]; key: string } | null;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

interface Frame {
  object: boolean;
  /** Array: index of the current element. */
  index: number;
  /** Object: the key whose value is being read. */
  key: string;
  /** Object: the next string is a key. */
  expectKey: boolean;
  /** Object: keys seen; made at the second key. */
  keys: Set<string> | null;
  first: string | null;
}

function decodeKey(bytes: Buffer, start: number, end: number, escaped: boolean): string {
  const raw = bytes.toString('utf8', start, end);
  if (!escaped) return raw;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw; // invalid escape: JSON.parse of the whole body reports it
  }
}

export function scanJson(bytes: Buffer, maxDepth: number): ScanResult {
  const stack: Frame[] = [];
  let duplicate: ScanResult['duplicate'] = null;
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    if (c === QUOTE) {
      const start = i + 1;
      let escaped = false;
      i++;
      while (i < n && bytes[i] !== QUOTE) {
        if (bytes[i] === BACKSLASH) {
          escaped = true;
          i++;
        }
        i++;
      }
      const top = stack[stack.length - 1];
      if (top !== undefined && top.object && top.expectKey) {
        top.expectKey = false;
        if (duplicate === null) {
          const key = decodeKey(bytes, start, Math.min(i, n), escaped);
          top.key = key;
          if (top.first === null) top.first = key;
          else {
            if (top.keys === null) top.keys = new Set([top.first]);
            if (top.keys.has(key)) duplicate = { path: pathOf(stack, stack.length - 1), key };
            else top.keys.add(key);
          }
        }
      }
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (stack.length >= maxDepth) return { tooDeep: true, duplicate };
      stack.push({ object: c === OPEN_OBJECT, index: 0, key: '', expectKey: c === OPEN_OBJECT, keys: null, first: null });
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      stack.pop();
    } else if (c === COMMA) {
      const top = stack[stack.length - 1];
      if (top === undefined) continue;
      if (top.object) top.expectKey = true;
      else top.index++;
    }
  }
  return { tooDeep: false, duplicate };
}

/** Path of the container at `depth` (keys and indexes of the containers above it). */
function pathOf(stack: readonly Frame[], depth: number): (string | number)[] {
  const path: (string | number)[] = [];
  for (let d = 0; d < depth; d++) {
    const f = stack[d]!;
    path.push(f.object ? f.key : f.index);
  }
  return path;
}
