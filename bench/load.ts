/** One autocannon run against one URL, with the suite's own fine-grained latency record. */
import autocannon from 'autocannon';
import { LatencyRecorder } from './stats.js';

export interface BenchRequest {
  method: string;
  /** Path and query, e.g. `/api/v2/invoices/42/lines/7?expand=tax` */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  connections: number;
  pipelining: number;
  /** Seconds (whole). */
  duration: number;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** Responses counted. */
  responses: number;
  non2xx: number;
  /** Socket errors and timeouts. */
  errors: number;
  /**
   * CPU time (µs, user + system) the process under test spent per response during the
   * measurement; set by the runner. Much steadier than req/s on a busy machine.
   */
  serverCpuPerRequest: number;
}

export function runLoad(origin: string, request: BenchRequest, options: LoadOptions): Promise<LoadResult> {
  const latencies = new LatencyRecorder();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: origin + request.path,
        method: request.method,
        headers: request.headers,
        ...(request.body !== undefined ? { body: request.body } : {}),
        connections: options.connections,
        pipelining: options.pipelining,
        duration: options.duration,
        timeout: 10,
      },
      (err, result) => {
        if (err) return reject(err);
        resolve({
          requestsPerSecond: result.requests.total / result.duration,
          p50: latencies.percentile(50),
          p99: latencies.percentile(99),
          responses: latencies.count,
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts,
          serverCpuPerRequest: Number.NaN,
        });
      },
    );
    instance.on('response', (_client, _status, _bytes, ms) => latencies.record(ms));
  });
}
