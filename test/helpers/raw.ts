/**
 * Raw TCP exchanges, for what an HTTP client would refuse to send: malformed request lines,
 * CL+TE, obs-fold, duplicate headers, absolute-form targets.
 */
import { connect } from 'node:net';

export interface RawResponse {
  /** Everything the server sent before closing (or before the timeout). */
  text: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  /** True when the server closed the connection. */
  closed: boolean;
}

export function parseRawResponse(text: string, closed: boolean): RawResponse {
  const end = text.indexOf('\r\n\r\n');
  const head = end === -1 ? text : text.slice(0, end);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { text, status: Number(statusLine.split(' ')[1] ?? 0), headers, body: end === -1 ? '' : text.slice(end + 4), closed };
}

/**
 * Sends `payload` as is and collects the answer until the server closes or `waitMs` passes
 * without new data.
 */
export function rawRequest(port: number, payload: string | Buffer | (string | Buffer)[], waitMs = 500): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout;
    let closed = false;
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(parseRawResponse(Buffer.concat(chunks).toString('latin1'), closed));
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(done, waitMs);
    };
    socket.on('connect', () => {
      for (const part of Array.isArray(payload) ? payload : [payload]) socket.write(part);
      arm();
    });
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      arm();
    });
    socket.on('end', () => {
      closed = true;
      done();
    });
    socket.on('close', () => {
      closed = true;
      done();
    });
    socket.on('error', (err) => {
      if (chunks.length > 0) done();
      else reject(err);
    });
  });
}
