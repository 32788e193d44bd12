import { describe, expect, it } from 'vitest';
import { parseResolver, urlProblem } from './check-url.js';

describe('urlProblem', () => {
  it.each([
    ['http://127.0.0.1:8500', null],
    ['https://consul.internal', null],
    ['ftp://x', 'must be an http:// or https:// URL, not ftp:'],
    ['http://user:pw@x', 'must not hold credentials (use the token/username/password fields)'],
    ['http://x?token=abc', 'must not have a query or fragment'],
    ['not a url', '"not a url" is not a URL'],
  ])('%s → %s', (url, problem) => {
    expect(urlProblem(url)).toBe(problem);
  });
});

describe('parseResolver', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1:53'],
    ['127.0.0.1:5353', '127.0.0.1:5353'],
    ['::1', '[::1]:53'],
    ['[::1]:5353', '[::1]:5353'],
    [' 10.0.0.2:53 ', '10.0.0.2:53'],
  ])('%s → %s', (input, server) => {
    expect(parseResolver(input).server).toBe(server);
  });
  it.each([['dns.internal:53', /IP address/], ['127.0.0.1:0', /invalid port/], ['127.0.0.1:99999', /invalid port/], ['[::1:53', /host:port/], ['', /host:port/]])('%s is refused', (input, message) => {
    expect(() => parseResolver(input)).toThrow(message);
  });
});
