/** OpenTelemetry spans around the session use cases (the API alone is a no-op until an SDK is registered). */
import { SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { SERVICE } from '../config';

const tracer = trace.getTracer(SERVICE.name);

export function inSpan<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}
