/** pino, JSON lines. Writes are buffered (asynchronous) on the hot path, flushed every 500 ms and at exit. */
import { destination as pinoDestination, pino, stdTimeFunctions, type DestinationStream, type Logger } from 'pino';

/** How often buffered log lines are written out at the latest (ms). */
const FLUSH_INTERVAL_MS = 500;

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  let destination = options.destination;
  if (destination === undefined) {
    const buffered = pinoDestination({ dest: 1, sync: false, minLength: 8192 });
    // The 8 KB buffer keeps writes off the hot path under load; without a periodic flush a quiet
    // gateway would hold its "listening" line and reload errors until exit.
    setInterval(() => {
      try {
        buffered.flush();
      } catch {
        // Destroyed or not ready yet: the next tick or the exit flush will do.
      }
    }, FLUSH_INTERVAL_MS).unref();
    destination = buffered;
  }
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
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
