/**
 * `--workers N` with node:cluster: the primary forks N gateway processes sharing the listeners,
 * forwards SIGHUP (reload) and SIGTERM/SIGINT (graceful stop), restarts a worker that crashes,
 * and exits 0 once every worker has drained. Each worker keeps its own in-process state
 * (metrics, local limits): see docs/operations.md.
 */
import cluster from 'node:cluster';

export function isWorker(): boolean {
  return cluster.isWorker;
}

export function runWorkers(count: number): void {
  let stopping = false;
  const fork = () => cluster.fork();
  for (let i = 0; i < count; i++) fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    process.stderr.write(`portcullis: worker ${worker.process.pid} exited (${signal ?? code}); starting another\n`);
    setTimeout(fork, 500).unref();
  });
  const forward = (signal: NodeJS.Signals) => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };
  process.on('SIGHUP', () => forward('SIGHUP'));
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    forward(signal);
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
