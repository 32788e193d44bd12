/**
 * pino, JSON lines on stdout, written synchronously: a line is out before the next one is made,
 * nothing is held in memory, and a stdout reader that falls behind slows the gateway down rather
 * than growing an unbounded backlog. The access log, the one high-volume source, batches the lines
 * of an event-loop turn into one write (see access-log.ts), which keeps this cheap under load.
 */
import { destination as pinoDestination, pino, stdTimeFunctions, type DestinationStream, type Logger } from 'pino';

/** The gateway's log destination: a file descriptor (default 1, stdout) or a path. */
export function logDestination(dest: number | string = 1): DestinationStream {
  return pinoDestination({ dest, sync: true, minLength: 0 });
}

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? logDestination(),
  );
}

/** Flushes a logger's destination (before exit). */
export function flushLogger(logger: Logger): void {
  try {
    logger.flush();
  } catch {
    // The destination may be closed already; nothing left to do.
  }
}
