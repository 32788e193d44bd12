#!/usr/bin/env node
/**
 * portcullis start -c FILE [--workers N] | validate -c FILE | demo | token --secret S --sub ID
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { checkConfigFile } from './config/pipeline.js';
import { defaultRegistry } from './plugins/builtin.js';
import { ConfigError, Gateway } from './gateway.js';
import { runWorkers, isWorker } from './server/cluster.js';
import { startDemoBackends } from './demo/backends.js';
import { signDevToken } from './util/dev-token.js';

const USAGE = `usage:
  portcullis start -c FILE [--workers N]   run the gateway on a config file
  portcullis validate -c FILE              check a config: "ok", or one line per problem
  portcullis demo                          the gateway on examples/gateway.yaml with demo backends
  portcullis token --secret S --sub ID [--role R] [--ttl 1h]   print an HS256 JWT for local tries`;

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

/** Runs a gateway until SIGTERM/SIGINT; SIGHUP reloads. */
async function serve(configFile: string, onStop?: () => Promise<void>): Promise<void> {
  let gateway: Gateway;
  try {
    gateway = await Gateway.create({ configFile, processMetrics: true });
  } catch (err) {
    if (err instanceof ConfigError) fail(err.problems.join('\n'), 1);
    throw err;
  }
  try {
    await gateway.start();
  } catch (err) {
    fail(`cannot listen: ${(err as Error).message}`, 1);
  }
  // A stray rejection is a bug to log, not a reason to drop every connection. An uncaught
  // exception may have left state half-changed: log it and exit 1 (workers are restarted).
  process.on('unhandledRejection', (err) => gateway.logger.error({ err }, 'unhandled rejection'));
  process.on('uncaughtException', (err) => {
    gateway.logger.fatal({ err }, 'uncaught exception; exiting');
    gateway.logger.flush();
    process.exit(1);
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    gateway.logger.info({ signal }, 'shutting down');
    await gateway.stop();
    await onStop?.();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => void gateway.reload());
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      config: { type: 'string', short: 'c' },
      workers: { type: 'string' },
      secret: { type: 'string' },
      sub: { type: 'string' },
      role: { type: 'string' },
      ttl: { type: 'string' },
    },
    strict: true,
  });
  switch (command) {
    case 'validate': {
      if (!values.config) fail(USAGE);
      const checked = await checkConfigFile(values.config, defaultRegistry());
      for (const w of checked.warnings) process.stderr.write(`warning: ${w}\n`);
      if (checked.errors.length > 0) fail(checked.errors.join('\n'), 1);
      process.stdout.write('ok\n');
      return;
    }
    case 'start': {
      if (!values.config) fail(USAGE);
      const workers = values.workers === undefined ? 1 : Number(values.workers);
      if (!Number.isInteger(workers) || workers < 1 || workers > 64) fail('--workers must be a whole number from 1 to 64');
      if (workers > 1 && !isWorker()) {
        const checked = await checkConfigFile(values.config, defaultRegistry());
        if (checked.errors.length > 0) fail(checked.errors.join('\n'), 1);
        return runWorkers(workers);
      }
      return serve(values.config);
    }
    case 'demo': {
      const here = dirname(fileURLToPath(import.meta.url));
      const config = resolve(here, '../../examples/gateway.yaml');
      const backends = await startDemoBackends({ users: 8101, orders: 8102, payments: 8103, auth: 8104, 'orders-2': 8105 });
      process.env['USERS_URL'] ??= backends.urls['users'];
      process.env['ORDERS_URL'] ??= backends.urls['orders'];
      process.env['PAYMENTS_URL'] ??= backends.urls['payments'];
      process.env['AUTH_URL'] ??= backends.urls['auth'];
      process.env['ORDERS_2_URL'] ??= backends.urls['orders-2'];
      process.stderr.write(
        `Portcullis demo: gateway on http://127.0.0.1:8080, admin on http://127.0.0.1:9901 (dashboard at /)\n` +
          `  curl -i localhost:8080/api/users/1                                   # public\n` +
          `  curl -i localhost:8080/api/orders                                    # 401: needs a login\n` +
          `  TOKEN=$(curl -s -X POST localhost:8080/api/auth/login -H 'content-type: application/json' \\\n` +
          `          -d '{"username":"ada","password":"lovelace"}' | sed 's/.*"token":"\\([^"]*\\)".*/\\1/')\n` +
          `  curl -i localhost:8080/api/orders -H "authorization: Bearer $TOKEN"   # 200\n` +
          `  curl -i localhost:8080/api/payments -H "authorization: Bearer $TOKEN" # 200 for ada (admin), 403 for alan/turing\n` +
          `  curl -i localhost:8080/api/orders -H 'x-api-key: demo-partner-key'   # the partner API key\n` +
          `  for i in 1 2 3 4 5 6; do curl -s -o /dev/null -w '%{http_code} ' localhost:8080/api/users; done  # 429 after 5 per 10 s\n` +
          `  curl localhost:9901/metrics\n`,
      );
      return serve(config, () => backends.close());
    }
    case 'token': {
      if (!values.secret || !values.sub) fail(USAGE);
      process.stdout.write(`${await signDevToken({ secret: values.secret, sub: values.sub, role: values.role, ttl: values.ttl ?? '1h' })}\n`);
      return;
    }
    default:
      fail(USAGE);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`portcullis: ${(err as Error).message}\n`);
  process.exit(1);
});
