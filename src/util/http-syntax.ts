/**
 * HTTP's `token` (RFC 9110 §5.6.2): header field names, media types and their parameters. One
 * definition for the core and every plugin that checks such names.
 */

/** The token grammar as a JSON-Schema `pattern` string. */
export const HTTP_TOKEN_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";

/** The token grammar as a RegExp (whole string). */
export const HTTP_TOKEN = new RegExp(HTTP_TOKEN_PATTERN);

/**
 * How many times a header appears in node's `rawHeaders` ([name, value, …] as received),
 * compared case-insensitively; `lowerName` is lower-case.
 */
export function countHeader(rawHeaders: readonly string[], lowerName: string): number {
  let n = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) n++;
  }
  return n;
}
