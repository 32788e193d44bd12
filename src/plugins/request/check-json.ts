/**
 * A buffered body against a compiled JSON Schema: UTF-8, nesting depth, syntax, duplicate keys,
 * then the schema. Returns the client-facing problem, or null when the body is acceptable.
 */
import { isUtf8 } from 'node:buffer';
import type { ValidateFunction } from 'ajv';
import { bodyProblem, decisiveError, formatSchemaError } from './error-format.js';
import { scanJson } from './json-scan.js';

/** Deepest nesting of arrays and objects accepted (real payloads rarely pass 20). */
export const MAX_JSON_DEPTH = 64;

export function checkJsonBody(body: Buffer, validate: ValidateFunction): string | null {
  if (body.length === 0) return bodyProblem([], 'a JSON body is required');
  // RFC 8259 §8.1: JSON between systems is UTF-8; decoding anything else would replace bytes
  // the upstream then reads differently.
  if (!isUtf8(body)) return bodyProblem([], 'is not valid UTF-8');
  const scan = scanJson(body, MAX_JSON_DEPTH);
  if (scan.tooDeep) return bodyProblem([], `is nested more than ${MAX_JSON_DEPTH} levels deep`);
  let data: unknown;
  try {
    data = JSON.parse(body.toString('utf8'));
  } catch {
    // V8's message quotes the input: never shown.
    return bodyProblem([], 'is not valid JSON');
  }
  if (scan.duplicate !== null) return bodyProblem([...scan.duplicate.path, scan.duplicate.key], 'appears twice in the same object');
  let ok: boolean;
  try {
    ok = validate(data) as boolean;
  } catch {
    // A recursive schema on input the depth limit let through should not get here; if it does,
    // it is still the body's fault, not the gateway's.
    return bodyProblem([], 'is too complex to validate');
  }
  if (ok) return null;
  const error = decisiveError(validate.errors ?? []);
  return error === undefined ? bodyProblem([], 'does not match the schema') : formatSchemaError(error);
}
