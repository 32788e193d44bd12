/**
 * The JSON Schema `format`s a route schema may use. Ajv ships none (they live in ajv-formats,
 * which is not a dependency); these are the common ones, written as functions or anchored
 * regexes without nested quantifiers, so no input can make them backtrack. A `format` not listed
 * here is a config error at load (Ajv strict mode), never silently ignored.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Format } from 'ajv';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(z|[+-]\d{2}:\d{2})$/i;
const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const UUID = /^(?:urn:uuid:)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const URI = /^[a-z][a-z0-9+.-]*:[^\s\u0000-\u001f\u007f]*$/i;
const EMAIL_LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

function isDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > DAYS[month - 1]!) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month !== 2 || day <= 28 || leap;
}

function isTime(s: string): boolean {
  const m = TIME.exec(s);
  if (!m) return false;
  const offset = m[5]!.toLowerCase();
  if (offset !== 'z' && (Number(offset.slice(1, 3)) > 23 || Number(offset.slice(4, 6)) > 59)) return false;
  // :60 is a leap second (RFC 3339 §5.6).
  return Number(m[1]) <= 23 && Number(m[2]) <= 59 && Number(m[3]) <= 60;
}

function isDateTime(s: string): boolean {
  const t = s.search(/[Tt ]/);
  return t === 10 && isDate(s.slice(0, 10)) && isTime(s.slice(11));
}

function isHostname(s: string): boolean {
  if (s.length === 0 || s.length > 253) return false;
  const labels = (s.endsWith('.') ? s.slice(0, -1) : s).split('.');
  return labels.every((l) => LABEL.test(l));
}

function isEmail(s: string): boolean {
  if (s.length > 254) return false;
  const at = s.lastIndexOf('@');
  if (at <= 0 || at > 64) return false;
  const local = s.slice(0, at);
  return EMAIL_LOCAL.test(local) && !local.startsWith('.') && !local.endsWith('.') && !local.includes('..') && isHostname(s.slice(at + 1)) && s.slice(at + 1).includes('.');
}

export const FORMATS: Record<string, Format> = {
  date: isDate,
  time: isTime,
  'date-time': isDateTime,
  email: isEmail,
  hostname: isHostname,
  ipv4: (s: string) => isIPv4(s),
  ipv6: (s: string) => isIPv6(s),
  uri: (s: string) => s.length <= 8192 && URI.test(s),
  uuid: UUID,
};
