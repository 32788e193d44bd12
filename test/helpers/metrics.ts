/** Reading the gateway's Prometheus exposition (admin GET /metrics) in tests. */
import type { TestGateway } from './gateway.js';

/** The exposition lines that start with `prefix` (e.g. `portcullis_circuit_state{`), sorted. */
export async function metricLines(gw: TestGateway, prefix: string): Promise<string[]> {
  const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
  return text.split('\n').filter((line) => line.startsWith(prefix)).sort();
}
