import { describe, expect, it } from 'vitest';
import { countSegments, forwardPath } from './forward-path.js';

describe('forwardPath', () => {
  const cases: Array<[string, string, string | null, string, string, string]> = [
    // route path, base, replacement, request path, query, expected
    ['/api/orders', '', null, '/api/orders/7', '?x=1', '/api/orders/7?x=1'],
    ['/api/orders', '', '', '/api/orders/7', '?x=%2F', '/7?x=%2F'],
    ['/api/orders', '', '', '/api/orders', '', '/'],
    ['/api/orders', '', '', '/api/orders/', '', '/'],
    ['/api/orders', '', '/v2/orders', '/api/orders/7', '', '/v2/orders/7'],
    ['/api/orders', '', '/', '/api/orders/7', '', '/7'],
    ['/users/:id', '', '', '/users/42/orders', '', '/orders'],
    ['/', '', '', '/x/y', '', '/x/y'],
    ['/api', '/base', '', '/api/x', '?q', '/base/x?q'],
    ['/api', '/base', '', '/api', '', '/base'],
    ['/api', '/base', '', '/api/', '', '/base/'],
    ['/api', '/base', null, '/api/x', '', '/base/api/x'],
  ];
  it.each(cases)('%s base=%s repl=%s: %s%s -> %s', (route, base, replacement, path, query, expected) => {
    expect(forwardPath({ prefixSegments: countSegments(route), replacement }, base, path, query)).toBe(expected);
  });
});
