/**
 * Structured JSON logs (pino) for every service: the service name on every line, the active
 * trace and span ids when a span is active, and a Nest LoggerService adapter so Nest's own
 * messages come out in the same shape.
 */
import type { LoggerService, LogLevel as NestLogLevel } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  serviceName: string;
  level?: LogLevel;
  /** Where lines go; standard output by default. */
  destination?: DestinationStream;
}

export type { Logger };

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.serviceName, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin() {
        const span = trace.getActiveSpan();
        if (!span) return {};
        const context = span.spanContext();
        return { traceId: context.traceId, spanId: context.spanId };
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

function contextAndRest(optionalParams: unknown[]): { context?: string; extra: unknown[] } {
  if (optionalParams.length === 0) return { extra: [] };
  const last = optionalParams[optionalParams.length - 1];
  if (typeof last === 'string') return { context: last, extra: optionalParams.slice(0, -1) };
  return { extra: optionalParams };
}

/** Adapts a pino logger to Nest's LoggerService, keeping Nest's context as a field. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal', message: unknown, optionalParams: unknown[]): void {
    // Below LOG_LEVEL: nothing is built (hot paths log at debug once per call).
    if (!this.logger.isLevelEnabled(level)) return;
    const { context, extra } = contextAndRest(optionalParams);
    const fields: Record<string, unknown> = context ? { context } : {};
    if (message instanceof Error) {
      this.logger[level]({ ...fields, err: message }, message.message);
      return;
    }
    if (level === 'error' && typeof extra[0] === 'string' && extra[0].includes('\n')) fields['stack'] = extra[0];
    if (typeof message === 'object' && message !== null) {
      // logger.warn({ fields }, 'what happened'): Nest passes the text before its context; keep it as the message.
      if (typeof extra[0] === 'string' && !fields['stack'])
        this.logger[level]({ ...fields, ...(message as Record<string, unknown>) }, extra[0]);
      else this.logger[level]({ ...fields, ...(message as Record<string, unknown>) });
      return;
    }
    this.logger[level](fields, String(message));
  }

  log(message: unknown, ...optionalParams: unknown[]): void {
    this.write('info', message, optionalParams);
  }
  error(message: unknown, ...optionalParams: unknown[]): void {
    this.write('error', message, optionalParams);
  }
  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.write('warn', message, optionalParams);
  }
  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.write('debug', message, optionalParams);
  }
  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.write('trace', message, optionalParams);
  }
  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.write('fatal', message, optionalParams);
  }
  setLogLevels(_levels: NestLogLevel[]): void {
    // The level is chosen once, by LOG_LEVEL, when the pino logger is created.
  }
}
