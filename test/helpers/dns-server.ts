/**
 * A real DNS server for tests: dnsmasq (Debian's dnsmasq-base, /usr/sbin/dnsmasq) on a free
 * loopback UDP/TCP port, answering only from a hosts file in a temp dir and from `--srv-host`
 * flags, authoritative for `example.internal` (so unknown names there get NXDOMAIN, not REFUSED).
 * `setHosts()` rewrites the hosts file and sends SIGHUP, which makes dnsmasq re-read it.
 * `stop()` kills it (SIGKILL: an outage), `start()` brings it back on the same port with the
 * current hosts file. When dnsmasq is missing the suites skip (see DNSMASQ_MISSING).
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restartable, stderrTail, waitUntilReady } from './child-process.js';
import { freePorts } from './cli.js';

const DNSMASQ = ['/usr/sbin/dnsmasq', '/usr/bin/dnsmasq'].find((p) => existsSync(p)) ?? null;

/** Whether dnsmasq can run here. */
export const hasDnsmasq = DNSMASQ !== null;
export const DNSMASQ_MISSING = 'dnsmasq is not installed: skipping the DNS discovery tests (apt-get install dnsmasq-base)';

export interface DnsServerOptions {
  /** hosts-file lines, e.g. `10.0.0.1 orders.example.internal`. */
  hosts: string[];
  /** `--srv-host` values: `_svc._tcp.example.internal,target,port,priority,weight`. */
  srv?: string[];
  /** TTL of the answers, seconds (`--local-ttl`). Default 1. */
  ttl?: number;
}

export interface TestDnsServer {
  port: number;
  /** `127.0.0.1:PORT`, the resolver form discovery takes. */
  resolver: string;
  /** Replaces the hosts file and makes dnsmasq re-read it (SIGHUP). */
  setHosts(lines: string[]): Promise<void>;
  /** SIGKILL and wait for the exit. */
  stop(): Promise<void>;
  /** Starts again on the same port (a no-op while running) and waits until it answers. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Whether the server answers at all (NXDOMAIN counts as an answer). */
async function answers(server: string): Promise<boolean> {
  const r = new Resolver({ timeout: 200, tries: 1 });
  r.setServers([server]);
  try {
    await r.resolve4('ready-probe.example.internal');
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOTFOUND';
  }
}

export async function startDnsServer(options: DnsServerOptions): Promise<TestDnsServer> {
  if (DNSMASQ === null) throw new Error(DNSMASQ_MISSING);
  const [port] = await freePorts(1);
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-dns-'));
  // dnsmasq started as root drops to `nobody`, which must still read the hosts file after SIGHUP.
  chmodSync(dir, 0o755);
  const hostsFile = join(dir, 'hosts');
  const writeHosts = (lines: string[]) => writeFileSync(hostsFile, lines.join('\n') + '\n', { mode: 0o644 });
  writeHosts(options.hosts);
  const server = `127.0.0.1:${port}`;
  let version = 0;

  const args = [
    '--no-daemon', `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--no-resolv', '--no-hosts',
    '--conf-file=/dev/null', '--pid-file=', `--addn-hosts=${hostsFile}`, `--local-ttl=${options.ttl ?? 1}`,
    '--local=/example.internal/', '--cache-size=0',
    ...(options.srv ?? []).map((s) => `--srv-host=${s}`),
  ];

  const dnsmasq = restartable(
    () => spawn(DNSMASQ, args, { stdio: ['ignore', 'ignore', 'pipe'] }),
    (child) => {
      const stderr = stderrTail(child);
      return waitUntilReady(child, () => answers(server), {
        deadlineMs: 10_000,
        stepMs: 20,
        exitedMessage: () => `dnsmasq exited on start (port ${port}): ${stderr()}`,
        timeoutMessage: () => `dnsmasq did not answer on ${server}: ${stderr()}`,
      });
    },
  );
  await dnsmasq.start();
  return {
    port: port!,
    resolver: server,
    async setHosts(lines) {
      // dnsmasq re-reads the file some time after SIGHUP: a marker name unique to this version
      // says when it serves the new lines, so no test races the reload.
      const marker = `v${++version}.hosts-version.example.internal`;
      writeHosts([...lines, `127.0.0.1 ${marker}`]);
      const child = dnsmasq.current();
      if (child === null) return;
      child.kill('SIGHUP');
      const r = new Resolver({ timeout: 200, tries: 1 });
      r.setServers([server]);
      const deadline = Date.now() + 10_000;
      for (;;) {
        try {
          await r.resolve4(marker);
          return;
        } catch {
          if (Date.now() > deadline) throw new Error(`dnsmasq did not reload its hosts file (${marker})`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    },
    start: dnsmasq.start,
    stop: dnsmasq.stop,
    async close() {
      await dnsmasq.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
