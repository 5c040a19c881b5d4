/**
 * W3C trace context (traceparent, tracestate) carried in Kafka message headers, so a trace
 * continues from the producer to every consumer.
 */
import { context as otelContext, type Context, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

export type KafkaHeaders = Record<string, Buffer | string | undefined>;

const propagator = new W3CTraceContextPropagator();

const setter: TextMapSetter<KafkaHeaders> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

const getter: TextMapGetter<KafkaHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    return value === undefined ? undefined : value.toString();
  },
};

/** Adds the trace context of `context` (the active one by default) to the headers. */
export function injectTraceHeaders(headers: KafkaHeaders, context: Context = otelContext.active()): KafkaHeaders {
  propagator.inject(context, headers, setter);
  return headers;
}

/** The context a consumer should continue, from the message's headers. */
export function extractTraceContext(headers: KafkaHeaders | undefined, base: Context = otelContext.active()): Context {
  return propagator.extract(base, headers ?? {}, getter);
}
