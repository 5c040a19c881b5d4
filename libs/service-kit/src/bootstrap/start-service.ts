/**
 * Starts a Flowline service: structured logs, the Nest application on its HTTP port,
 * graceful shutdown on SIGTERM/SIGINT within a grace period, and a clear fatal line when
 * start-up fails.
 */
import type { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createLogger, NestPinoLogger, type Logger, type LogLevel } from '@flowline/observability';
import { ReadinessRegistry } from '../health/readiness.registry';

export interface StartServiceOptions {
  serviceName: string;
  rootModule: DynamicModule;
  config: { HTTP_PORT: number; HOST: string; LOG_LEVEL: LogLevel; SHUTDOWN_GRACE_MS: number };
}

export interface RunningService {
  app: INestApplication;
  logger: Logger;
  url: string;
}

export async function startService(options: StartServiceOptions): Promise<RunningService> {
  const logger = createLogger({ serviceName: options.serviceName, level: options.config.LOG_LEVEL });
  try {
    const app = await NestFactory.create(options.rootModule, { logger: new NestPinoLogger(logger), abortOnError: false });
    app.enableShutdownHooks();
    installShutdownGuard(app, logger, options.config.SHUTDOWN_GRACE_MS);
    await app.listen(options.config.HTTP_PORT, options.config.HOST);
    const url = `http://${options.config.HOST}:${options.config.HTTP_PORT}`;
    logger.info({ http: url }, `${options.serviceName} is listening on ${url}`);
    return { app, logger, url };
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    logger.fatal(`${options.serviceName} could not start: ${message}`);
    throw error;
  }
}

/**
 * Readiness goes to 503 as soon as a stop signal arrives; if closing takes longer than the
 * grace period (a hung connection), the process exits anyway so the orchestrator is not stuck.
 */
function installShutdownGuard(app: INestApplication, logger: Logger, graceMs: number): void {
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal, graceMs }, `received ${signal}, shutting down`);
    try {
      app.get(ReadinessRegistry, { strict: false }).markDraining();
    } catch {
      // No health module: nothing to drain.
    }
    setTimeout(() => {
      logger.error({ graceMs }, `shutdown took longer than ${graceMs} ms, exiting`);
      process.exit(1);
    }, graceMs).unref();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
