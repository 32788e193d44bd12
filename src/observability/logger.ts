/**
 * pino, JSON lines. Lines are buffered in memory and written in batches (one write per 32 KB),
 * flushed at the latest every 500 ms and at exit: a write per line would cost more than the rest
 * of the gateway's per-request work. Batches are written synchronously, so a stdout reader that
 * falls behind slows the gateway down instead of growing an unbounded in-memory backlog (which
 * is what an asynchronous destination does).
 */
import { destination as pinoDestination, pino, stdTimeFunctions, type DestinationStream, type Logger } from 'pino';

/** How often buffered log lines are written out at the latest (ms). */
const FLUSH_INTERVAL_MS = 500;
/** Bytes buffered before a write; sonic-boom needs it below maxWrite. */
const BATCH_BYTES = 32 * 1024;
const MAX_WRITE_BYTES = 64 * 1024;

/** The gateway's buffered destination: a file descriptor (default 1, stdout) or a path. */
export function bufferedDestination(dest: number | string = 1): DestinationStream {
  const buffered = pinoDestination({ dest, sync: true, minLength: BATCH_BYTES, maxWrite: MAX_WRITE_BYTES });
  // Without a periodic flush a quiet gateway would hold its "listening" line and reload errors.
  setInterval(() => {
    try {
      buffered.flush();
    } catch {
      // Destroyed or not ready yet: the next tick or the exit flush will do.
    }
  }, FLUSH_INTERVAL_MS).unref();
  return buffered;
}

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? bufferedDestination(),
  );
}

/** Flushes a logger's buffered lines (before exit). */
export function flushLogger(logger: Logger): void {
  try {
    logger.flush();
  } catch {
    // The destination may be closed already; nothing left to do.
  }
}
