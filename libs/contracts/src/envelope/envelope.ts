import { z } from 'zod';

/**
 * The versioned envelope every Kafka message carries. Validated at the consumer edge: a
 * message that fails goes to the dead-letter topic with the reason.
 */
export const EnvelopeSchema = z.object({
  id: z.string().uuid(),
  type: z.string().min(1),
  schemaVersion: z.number().int().positive(),
  occurredAt: z.string().datetime({ offset: true }),
  source: z.string().min(1),
  correlationId: z.string().min(1),
  depth: z.number().int().min(0),
  payload: z.unknown(),
});

export type Envelope<TPayload = unknown> = Omit<z.infer<typeof EnvelopeSchema>, 'payload'> & {
  payload: TPayload;
};

export type EnvelopeValidation = { ok: true; envelope: Envelope } | { ok: false; reason: string };

/** Parses raw message bytes into an envelope, or says exactly which field was wrong. */
export function parseEnvelope(value: Buffer | string | null): EnvelopeValidation {
  if (value === null) return { ok: false, reason: 'message has no value (expected a JSON envelope)' };
  let json: unknown;
  try {
    json = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (error) {
    return { ok: false, reason: `message value is not JSON: ${(error as Error).message}` };
  }
  const result = EnvelopeSchema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    return { ok: false, reason: `invalid envelope: ${issues.join('; ')}` };
  }
  return { ok: true, envelope: result.data };
}
