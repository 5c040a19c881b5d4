/**
 * Starts a Flowline service: structured logs, the Nest application on its HTTP port,
 * graceful shutdown on SIGTERM/SIGINT within a grace period, and a clear fatal line when
 * start-up fails.
 */
import type { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { activeTelemetry, createLogger, NestPinoLogger, type Logger, type LogLevel } from '@flowline/observability';
import { configurePaging, grpcServerOptions, MAX_PAGE_SIZE } from '@flowline/rpc';
import { DEFAULT_HTTP_BODY_LIMIT_BYTES } from '../errors/http-error-mapping';
import { installHttpEdge } from '../errors/http-edge';
import { ReadinessRegistry } from '../health/readiness.registry';
import { applyCors, describeCors, parseCorsOrigins } from './cors';
import { applyTrustProxy, describeTrustProxy, parseTrustProxy } from './trust-proxy';

export interface StartServiceOptions {
  serviceName: string;
  rootModule: DynamicModule;
  config: {
    HTTP_PORT: number;
    GRPC_PORT: number;
    HOST: string;
    LOG_LEVEL: LogLevel;
    SHUTDOWN_GRACE_MS: number;
    /** See baseServiceSettings; 1 MiB when absent. */
    HTTP_BODY_LIMIT_BYTES?: number;
    /** See baseServiceSettings; 500 when absent. */
    PAGE_SIZE_MAX?: number;
    /** See trust-proxy.ts; off when absent. */
    TRUST_PROXY?: string | undefined;
    /** See cors.ts; none when absent. */
    CORS_ORIGINS?: string | undefined;
  };
  /** The service's own gRPC packages and proto files; the health service is always served. */
  grpc?: { packages: string[]; protoFiles: string[] };
  /** Text media types the HTTP edge takes besides JSON (see installHttpEdge). */
  textMediaTypes?: string[];
}

export interface RunningService {
  app: INestApplication;
  logger: Logger;
  url: string;
  grpcAddress: string;
}

export async function startService(options: StartServiceOptions): Promise<RunningService> {
  const logger = createLogger({ serviceName: options.serviceName, level: options.config.LOG_LEVEL });
  configurePaging({ maxPageSize: options.config.PAGE_SIZE_MAX ?? MAX_PAGE_SIZE });
  try {
    // The body parser is the edge's own (installHttpEdge): JSON only, with its limit.
    const app = await NestFactory.create(options.rootModule, {
      logger: new NestPinoLogger(logger),
      abortOnError: false,
      bodyParser: false,
      // The body as received beside the parsed one (request.rawBody): signatures are over the bytes.
      rawBody: true,
    });
    installShutdownHandler(app, logger, options.config.SHUTDOWN_GRACE_MS);
    const trustProxy = parseTrustProxy(options.config.TRUST_PROXY);
    applyTrustProxy(app, trustProxy);
    logger.info({ trustProxy }, describeTrustProxy(trustProxy));
    // Before the edge, so that preflights are answered and refusals carry the CORS headers too.
    const corsOrigins = parseCorsOrigins(options.config.CORS_ORIGINS);
    applyCors(app, corsOrigins);
    logger.info({ corsOrigins }, describeCors(corsOrigins));
    installHttpEdge(app, {
      bodyLimitBytes: options.config.HTTP_BODY_LIMIT_BYTES ?? DEFAULT_HTTP_BODY_LIMIT_BYTES,
      ...(options.textMediaTypes ? { textMediaTypes: options.textMediaTypes } : {}),
    });
    // gRPC controllers carry their exception filter through @GrpcController().
    app.connectMicroservice(grpcServerOptions({ host: options.config.HOST, port: options.config.GRPC_PORT, ...options.grpc }));
    await app.startAllMicroservices();
    await app.listen(options.config.HTTP_PORT, options.config.HOST);
    const url = `http://${options.config.HOST}:${options.config.HTTP_PORT}`;
    const grpcAddress = `${options.config.HOST}:${options.config.GRPC_PORT}`;
    logger.info(
      { http: url, grpc: grpcAddress, traces: activeTelemetry()?.exporters ?? [] },
      `${options.serviceName} is listening on ${url} (gRPC ${grpcAddress})`,
    );
    return { app, logger, url, grpcAddress };
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    logger.fatal(`${options.serviceName} could not start: ${message}`);
    throw error;
  }
}

/**
 * On SIGTERM or SIGINT: readiness goes to 503 at once, Nest closes (shutdown hooks of every
 * module run: in-flight work finishes, connections close), then the process exits 0. If
 * closing takes longer than the grace period (a hung connection), it exits 1 anyway so the
 * orchestrator is not stuck.
 */
function installShutdownHandler(app: INestApplication, logger: Logger, graceMs: number): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
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
    app
      .close()
      // The last spans go out before the process ends.
      .then(() => activeTelemetry()?.shutdown())
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, `shutdown failed: ${String(error)}`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
