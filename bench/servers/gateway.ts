/**
 * The real gateway, as `portcullis start` runs it, from config text. Its log (access log
 * included) goes through the gateway's own pino destination to
 * `logFile` — /dev/null by default, so lines are serialised and written but no disk is involved.
 */
import { Gateway } from '../../src/gateway.js';
import { logDestination, createLogger } from '../../src/observability/logger.js';
import { ready, settings } from './child.js';

export interface GatewayServerSettings {
  configText: string;
  /** Where log lines go. */
  logFile: string;
}

async function main(): Promise<void> {
  const { configText, logFile } = await settings<GatewayServerSettings>();
  const logger = createLogger({ level: 'info', destination: logDestination(logFile) });
  const gateway = await Gateway.create({ configText, configName: 'bench.yaml', logger });
  await gateway.start();
  ready(gateway.address('proxy').port, () => gateway.stop());
}

if (process.send) void main();
