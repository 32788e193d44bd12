/**
 * The client-facing message of a 400 `validation_failed`: `body/items/0/qty: must be integer`.
 * It is about the client's own input, so it is shown, but it is bounded: property names come
 * from the client, so each path segment is cut and stripped of control characters, and the whole
 * message has a cap. Values are never echoed (Ajv's messages name schema values only).
 */
import type { ErrorObject } from 'ajv';

/** Longest path segment shown, in characters. */
const MAX_SEGMENT = 40;
/** Longest path shown; longer paths keep their end (the failing place). */
const MAX_PATH = 160;
/** Longest message part after the path. */
const MAX_MESSAGE = 120;

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function formatSegment(segment: string | number): string {
  return typeof segment === 'number' ? String(segment) : clip(segment.replace(CONTROL, '?'), MAX_SEGMENT);
}

/** `['items', 0, 'qty']` → `body/items/0/qty`, bounded. */
export function formatBodyPath(path: readonly (string | number)[]): string {
  let out = 'body';
  for (const s of path) out += `/${formatSegment(s)}`;
  if (out.length <= MAX_PATH) return out;
  return `body/…${out.slice(out.length - (MAX_PATH - 6))}`;
}

/** An Ajv instancePath (JSON pointer) → segments, array indexes as strings (Ajv does not say which). */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function bodyProblem(path: readonly (string | number)[], message: string): string {
  return `${formatBodyPath(path)}: ${clip(message, MAX_MESSAGE)}`;
}

/** Short JSON of an enum's allowed values, or undefined when they would not fit. */
function allowedList(values: unknown): string | undefined {
  if (!Array.isArray(values) || values.length > 8) return undefined;
  const text = values.map((v) => JSON.stringify(v) ?? 'null').join(', ');
  return text.length <= 80 ? text : undefined;
}

/**
 * Ajv stops at the first failing keyword (allErrors off), yet a combinator adds its branches'
 * errors before its own: the last error is the one that decided. For `if`/`then` the decisive
 * error is the branch's, just before the `if` summary.
 */
export function decisiveError(errors: readonly ErrorObject[]): ErrorObject | undefined {
  const last = errors[errors.length - 1];
  if (last?.keyword === 'if' && errors.length > 1) return errors[errors.length - 2];
  return last;
}

export function formatSchemaError(error: ErrorObject): string {
  const path: (string | number)[] = pointerSegments(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return bodyProblem([...path, String(params['missingProperty'])], 'is required');
    case 'dependentRequired':
    case 'dependencies':
      return bodyProblem([...path, String(params['missingProperty'])], `is required when "${formatSegment(String(params['property']))}" is present`);
    case 'additionalProperties':
      return bodyProblem([...path, String(params['additionalProperty'])], 'is not an allowed property');
    case 'unevaluatedProperties':
      return bodyProblem([...path, String(params['unevaluatedProperty'])], 'is not an allowed property');
    case 'propertyNames':
      return bodyProblem([...path, String(params['propertyName'])], 'is not an allowed property name');
    case 'enum': {
      const list = allowedList(params['allowedValues']);
      return bodyProblem(path, list === undefined ? 'must be one of the allowed values' : `must be one of ${list}`);
    }
    case 'const': {
      const list = allowedList([params['allowedValue']]);
      return bodyProblem(path, list === undefined ? 'must be the allowed value' : `must be ${list}`);
    }
    case 'anyOf':
    case 'oneOf':
      return bodyProblem(path, error.keyword === 'oneOf' && params['passingSchemas'] ? 'must match exactly one of the allowed shapes' : 'must match one of the allowed shapes');
    default:
      return bodyProblem(path, error.message ?? 'is invalid');
  }
}
