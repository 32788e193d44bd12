import { describe, expect, it } from 'vitest';
import { parseListen } from './listen.js';

describe('parseListen', () => {
  it.each<[string, string, number, boolean]>([
    ['127.0.0.1:8080', '127.0.0.1', 8080, true],
    ['127.10.20.30:1', '127.10.20.30', 1, true],
    ['0.0.0.0:80', '0.0.0.0', 80, false],
    ['10.1.2.3:9901', '10.1.2.3', 9901, false],
    ['[::1]:8080', '::1', 8080, true],
    ['[::]:80', '::', 80, false],
    ['[fd00::1]:65535', 'fd00::1', 65535, false],
    ['localhost:9901', 'localhost', 9901, true],
    ['gateway.internal:443', 'gateway.internal', 443, false],
    ['127.0.0.1:0', '127.0.0.1', 0, true],
    [' 127.0.0.1:8080 ', '127.0.0.1', 8080, true],
  ])('%j → %s port %i, loopback %s', (text, host, port, loopback) => {
    expect(parseListen(text)).toEqual({ host, port, loopback });
  });

  it.each([
    '',
    '8080',
    ':8080',
    '127.0.0.1',
    '127.0.0.1:',
    '127.0.0.1:65536',
    '127.0.0.1:99999',
    '127.0.0.1:123456',
    '127.0.0.1:-1',
    '127.0.0.1:8o',
    '::1:8080',
    '::1',
    '[::1]',
    '[::1]:',
    '[127.0.0.1]:80',
    '[zz::1]:80',
    '[::1]:99999',
    'http://127.0.0.1:80',
    '127.0.0.1:80/x',
    'a b:80',
    'host/x:80',
  ])('refuses %j', (text) => {
    expect(parseListen(text)).toBeUndefined();
  });
});
