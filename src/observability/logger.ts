/** pino, JSON lines. Writes are asynchronous (buffered) on the hot path and flushed at exit. */
import { destination as pinoDestination, pino, stdTimeFunctions, type DestinationStream, type Logger } from 'pino';

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  const destination = options.destination ?? pinoDestination({ dest: 1, sync: false, minLength: 4096 });
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
