/**
 * Polling with a deadline, the way tests wait for something asynchronous on a noisy 2-core
 * machine (never a fixed sleep standing in for "long enough").
 */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Calls `check` until it stops throwing and returns its value, or rethrows its last error once
 * `timeoutMs` (default 5000 ms) has passed; waits `stepMs` (default 50 ms) between tries.
 */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(stepMs);
    }
  }
}
