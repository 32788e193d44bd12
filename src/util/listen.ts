/** `host:port` listener addresses (`127.0.0.1:8080`, `[::1]:8080`, `0.0.0.0:80`). */
import { isIP } from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
  loopback: boolean;
}

const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

export function parseListen(text: string): ListenAddress | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  if (m[1] !== undefined && isIP(host) !== 6) return undefined;
  // Unbracketed: an IPv4 address or a host name; anything else would only fail at bind time.
  if (m[2] !== undefined && isIP(host) !== 4 && !HOST_NAME.test(host)) return undefined;
  const loopback = host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
  return { host, port, loopback };
}
