/**
 * `flowline events send <file>`: a domain event, checked against the envelope and the domain
 * event schema of libs/contracts, produced to flowline.domain-events.v1 through libs/messaging.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { DomainEventSchema, DOMAIN_EVENT_TYPE, EnvelopeSchema, Topics, type Envelope } from '@flowline/contracts';
import { createKafka, EnvelopeProducer, parseBrokers, TopicNames } from '@flowline/messaging';
import { withContext, type Context } from '../context';
import { CliError, ExitCode, usageError } from '../errors';

function issues(error: { issues: Array<{ path: PropertyKey[]; message: string }> }, prefix: string): Array<{ field: string; description: string }> {
  return error.issues.map((issue) => ({ field: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(root)', description: issue.message }));
}

/** The file's event as an envelope: a full envelope, or a bare domain event that gets one. */
export function envelopeOf(value: unknown, source: string): Envelope {
  const object = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  if (!object) throw new CliError('the event must be a JSON object: an envelope {id, type, ..., payload} or a bare domain event {message, entity, recordId, ...}', ExitCode.failed, 'EVENT_INVALID');
  const candidate =
    'payload' in object
      ? object
      : { id: randomUUID(), type: DOMAIN_EVENT_TYPE, schemaVersion: 1, occurredAt: new Date().toISOString(), source, correlationId: randomUUID(), depth: 0, payload: object };
  const envelope = EnvelopeSchema.safeParse(candidate);
  const violations = envelope.success ? [] : issues(envelope.error, '');
  if (envelope.success && envelope.data.type !== DOMAIN_EVENT_TYPE) violations.push({ field: 'type', description: `expected '${DOMAIN_EVENT_TYPE}'` });
  const payload = DomainEventSchema.safeParse((candidate as { payload?: unknown }).payload);
  if (!payload.success) violations.push(...issues(payload.error, 'payload'));
  if (violations.length > 0 || !envelope.success)
    throw new CliError(
      `the event is not a valid domain event, nothing was sent:\n${violations.map((v) => `  ${v.field}: ${v.description}`).join('\n')}`,
      ExitCode.failed,
      'EVENT_INVALID',
    );
  return { ...envelope.data, payload: payload.data };
}

async function send(context: Context, file: string, options: { dryRun?: boolean }): Promise<void> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw usageError(`${file}: expected a JSON file with one event (${(error as Error).message})`);
  }
  const envelope = envelopeOf(value, 'flowline-cli');
  const payload = envelope.payload as { entity: string; recordId: string; message: string };
  const key = `${payload.entity}:${payload.recordId}`;
  const topic = new TopicNames(context.config.topicPrefix).topic(Topics.domainEvents);
  if (options.dryRun) {
    context.out.result({ sent: false, topic, key, envelope }, () => context.out.line(`valid: ${payload.message} ${key} (envelope ${envelope.id}); not sent (--dry-run)`));
    return;
  }
  let brokers: string[];
  try {
    brokers = parseBrokers(context.config.kafkaBrokers);
  } catch (error) {
    throw usageError(`${(error as Error).message}: set --kafka-brokers or KAFKA_BROKERS`);
  }
  const producer = new EnvelopeProducer(createKafka({ brokers, clientId: 'flowline-cli', connectionTimeoutMs: Math.min(context.config.timeoutMs, 10_000) }));
  try {
    await producer.connect();
    await producer.send(topic as typeof Topics.domainEvents, [{ key, envelope }]);
  } catch (error) {
    throw new CliError(`Kafka at ${brokers.join(',')} did not take the event (${(error as Error).message}): is it running? Set --kafka-brokers or KAFKA_BROKERS.`, ExitCode.unreachable, 'UNREACHABLE');
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
  context.out.result({ sent: true, topic, key, envelope }, () => context.out.line(`sent ${payload.message} ${key} to ${topic} (envelope ${envelope.id}, correlation ${envelope.correlationId})`));
}

export function eventsCommand(program: Command): void {
  const events = program.command('events').description('domain events for the gateway');
  events
    .command('send')
    .description(`check a domain event against the envelope and the domain event schema, then produce it to ${Topics.domainEvents}`)
    .argument('<file>', 'a JSON file: an envelope {id, type, schemaVersion, occurredAt, source, correlationId, depth, payload}, or a bare domain event {message, entity, recordId, target, initiatingUserId} that gets an envelope')
    .option('--dry-run', 'check only, send nothing')
    .action(withContext(send));
}
