/** The upstream's answer to every request (~100 bytes of JSON); the runner checks it came through. */
export const UPSTREAM_BODY = JSON.stringify({
  id: 'inv_7f3a9c',
  status: 'paid',
  currency: 'EUR',
  total: 129.9,
  lines: 3,
  updatedAt: '2026-01-15T10:30:00Z',
});
