import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { extractTraceContext, injectTraceHeaders } from './trace-headers';

describe('trace headers', () => {
  const spanContext = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED };

  it('writes a W3C traceparent header for the given context', () => {
    const headers = injectTraceHeaders({}, trace.setSpanContext(ROOT_CONTEXT, spanContext));
    expect(headers['traceparent']).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
  });

  it('reads the context back from Buffer headers as Kafka delivers them', () => {
    const headers = { traceparent: Buffer.from('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01') };
    const extracted = trace.getSpanContext(extractTraceContext(headers, ROOT_CONTEXT));
    expect(extracted).toMatchObject({ ...spanContext, isRemote: true });
  });

  it('gives no span context when the headers carry none or a malformed one', () => {
    expect(trace.getSpanContext(extractTraceContext(undefined, ROOT_CONTEXT))).toBeUndefined();
    expect(trace.getSpanContext(extractTraceContext({ traceparent: 'garbage' }, ROOT_CONTEXT))).toBeUndefined();
  });
});
