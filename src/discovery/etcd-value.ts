/**
 * One etcd registry value, `{"url": "http://10.0.0.7:8080", "weight": 2}` (weight optional,
 * default 1). Pure: returns the target or why the value is unusable, so a malformed key is
 * skipped with a warning instead of dropping the whole list.
 */
import { urlProblem } from './check-url.js';
import type { DiscoveredTarget } from './provider.js';

export function parseEtcdValue(value: string): DiscoveredTarget | { problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return { problem: 'value is not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { problem: 'value is not a JSON object' };
  const { url, weight } = parsed as { url?: unknown; weight?: unknown };
  if (typeof url !== 'string') return { problem: '"url" is missing or not a string' };
  const bad = urlProblem(url);
  if (bad !== null) return { problem: `"url" ${bad}` };
  if (weight !== undefined && (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 1)) return { problem: '"weight" must be an integer ≥ 1' };
  return { url: url.replace(/\/+$/, ''), weight: weight ?? 1 };
}
