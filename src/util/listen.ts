/** `host:port` listener addresses (`127.0.0.1:8080`, `[::1]:8080`, `0.0.0.0:80`). */
import { isIP } from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
  loopback: boolean;
}

export function parseListen(text: string): ListenAddress | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  if (m[1] !== undefined && isIP(host) !== 6) return undefined;
  const loopback = host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
  return { host, port, loopback };
}
