/**
 * What operators do with dead letters: list and search them, read one with its audit, edit its
 * value or headers (the original is kept beside the edit), replay it to the topic it failed on
 * (the edited value if there is one, with headers linking back to the letter and the original
 * position), and discard it. Every action is audited with who did it; a replayed or discarded
 * letter is not replayed again unless the caller forces it.
 */
import { Injectable, Logger } from '@nestjs/common';
import { Topics } from '@flowline/contracts';
import { EnvelopeProducer, TopicNames } from '@flowline/messaging';
import { failedPrecondition, FlowlineError, invalidArgument, notFound, pageWindow, type FieldViolation } from '@flowline/rpc';
import type { DeadLetterRow, DeadLetterStatus } from './dead-letter.entity';
import { deadLetterToJson } from './dead-letters.mapper';
import { DeadLetterMetrics } from './dead-letters.metrics';
import { DeadLettersRepository, type DeadLetterFilter } from './dead-letters.repository';
import { filterInstant } from '../operations/operation-filter';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STATUSES: DeadLetterStatus[] = ['pending', 'replayed', 'discarded'];

/** Headers a replay adds: the letter it came from and where the original was. */
export const ReplayHeaders = {
  deadLetterId: 'x-flowline-replay-of',
  originalTopic: 'x-flowline-original-topic',
  originalPartition: 'x-flowline-original-partition',
  originalOffset: 'x-flowline-original-offset',
} as const;
/** Written by the dead-letter producer; not carried into a replay. */
const DEAD_LETTER_REASON_HEADER = 'x-flowline-dead-letter-reason';

export interface DeadLetterQuery {
  topic?: string;
  reasonCode?: string;
  key?: string;
  consumerGroup?: string;
  status?: string;
  failedAfter?: string;
  failedBefore?: string;
  text?: string;
  pageSize?: number;
  pageToken?: string;
}

/** Keyset page tokens: the last row's arrival number, opaque to callers. */
const tokenOf = (seq: string): string => Buffer.from(`k:${seq}`, 'utf8').toString('base64url');
function seqOf(token: string): string {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  if (!/^k:\d+$/.test(text))
    throw invalidArgument('PAGE_TOKEN_INVALID', 'pageToken is not a token this service returned: start again without one', [
      { field: 'pageToken', description: 'expected a nextPageToken from an earlier answer' },
    ]);
  return text.slice(2);
}

@Injectable()
export class DeadLettersService {
  private readonly logger = new Logger('DeadLetters');

  constructor(
    private readonly repository: DeadLettersRepository,
    private readonly producer: EnvelopeProducer,
    private readonly names: TopicNames,
    private readonly metrics: DeadLetterMetrics,
  ) {}

  async list(query: DeadLetterQuery) {
    const violations: FieldViolation[] = [];
    if (query.status && !STATUSES.includes(query.status as DeadLetterStatus))
      violations.push({ field: 'status', description: `expected one of ${STATUSES.join(', ')}, got '${query.status}'` });
    const failedAfter = filterInstant('failedAfter', query.failedAfter, violations);
    const failedBefore = filterInstant('failedBefore', query.failedBefore, violations);
    if (violations.length > 0)
      throw invalidArgument(
        'FILTER_INVALID',
        `the filter is not valid: ${violations.map((v) => `${v.field}: ${v.description}`).join('; ')}`,
        violations,
      );
    // The page size rules of every list call; the token is a keyset (stable while letters arrive).
    const { limit } = pageWindow(query.pageSize !== undefined ? { pageSize: query.pageSize } : undefined);
    const filter: DeadLetterFilter = {
      ...(query.topic ? { topic: this.names.logical(query.topic) } : {}),
      ...(query.reasonCode ? { reasonCode: query.reasonCode } : {}),
      ...(query.key ? { key: query.key } : {}),
      ...(query.consumerGroup ? { consumerGroup: query.consumerGroup } : {}),
      ...(query.status ? { status: query.status as DeadLetterStatus } : {}),
      ...(failedAfter ? { failedAfter } : {}),
      ...(failedBefore ? { failedBefore } : {}),
      ...(query.text ? { text: query.text } : {}),
    };
    const { rows, total } = await this.repository.list(filter, limit + 1, query.pageToken ? seqOf(query.pageToken) : undefined);
    const page = rows.slice(0, limit);
    return {
      deadLetters: page.map((row) => deadLetterToJson(row)),
      page: { nextPageToken: rows.length > limit ? tokenOf(page[page.length - 1]!.seq) : '', totalCount: total },
    };
  }

  async get(id: string) {
    const row = await this.find(id);
    return deadLetterToJson(row, await this.repository.auditOf(id));
  }

  /** Puts a new value and/or headers in place for the next replay; the original stays as it came. */
  async edit(id: string, body: { value?: unknown; headers?: unknown }, by: string) {
    this.checkId(id);
    const violations: FieldViolation[] = [];
    const value = body.value === undefined ? undefined : typeof body.value === 'string' ? body.value : JSON.stringify(body.value);
    if (body.value === null) violations.push({ field: 'value', description: 'expected text or JSON, not null' });
    let headers: Record<string, string> | undefined;
    if (body.headers !== undefined) {
      if (typeof body.headers !== 'object' || body.headers === null || Array.isArray(body.headers))
        violations.push({ field: 'headers', description: 'expected an object of header names to text values' });
      else {
        headers = {};
        for (const [name, header] of Object.entries(body.headers)) {
          if (typeof header !== 'string') violations.push({ field: `headers.${name}`, description: 'expected text' });
          else headers[name] = header;
        }
      }
    }
    if (value === undefined && body.headers === undefined)
      violations.push({ field: 'value', description: 'give a new value, new headers, or both' });
    if (violations.length > 0)
      throw invalidArgument('EDIT_INVALID', `cannot edit: ${violations.map((v) => `${v.field}: ${v.description}`).join('; ')}`, violations);
    await this.repository.withLocked(id, async (manager, row) => {
      const letter = this.exists(id, row);
      if (letter.status === 'discarded')
        throw failedPrecondition('DEAD_LETTER_DISCARDED', `dead letter ${id} was discarded: it cannot be edited`);
      await this.repository.update(manager, id, {
        ...(value !== undefined ? { editedValue: value } : {}),
        ...(headers !== undefined ? { editedHeaders: headers } : {}),
      });
      await this.repository.audit(manager, id, 'edited', by, {
        fields: [...(value !== undefined ? ['value'] : []), ...(headers !== undefined ? ['headers'] : [])],
      });
    });
    this.metrics.actions.inc({ action: 'edited' });
    this.logger.log({ deadLetterId: id, by }, `dead letter ${id} edited by ${by}`);
    return this.get(id);
  }

  /**
   * Produces the letter (its edit, or the original) to the topic it failed on and marks it
   * replayed with where it was written. The letter stays locked meanwhile, so two replays of one
   * letter cannot both go out; a replayed or discarded one goes again only when forced.
   */
  async replay(id: string, force: boolean, by: string) {
    this.checkId(id);
    const written = await this.repository.withLocked(id, async (manager, row) => {
      const letter = this.exists(id, row);
      if (letter.status !== 'pending' && !force)
        throw failedPrecondition(
          letter.status === 'replayed' ? 'DEAD_LETTER_ALREADY_REPLAYED' : 'DEAD_LETTER_DISCARDED',
          `dead letter ${id} was ${letter.status}${
            letter.status === 'replayed' ? ` to ${letter.originalTopic} at offset ${letter.replayedOffset ?? '?'}` : ''
          }: replay it again with force=true`,
        );
      if (letter.originalTopic === Topics.deadLetter)
        throw failedPrecondition(
          'DEAD_LETTER_NOT_REPLAYABLE',
          `dead letter ${id} came from the dead-letter topic itself (${letter.reasonCode}): there is no original topic to replay it to`,
        );
      const topic = this.names.topic(letter.originalTopic);
      const headers: Record<string, string> = { ...(letter.editedHeaders ?? letter.headers) };
      delete headers[DEAD_LETTER_REASON_HEADER];
      Object.assign(headers, {
        [ReplayHeaders.deadLetterId]: letter.id,
        [ReplayHeaders.originalTopic]: letter.originalTopic,
        [ReplayHeaders.originalPartition]: String(letter.originalPartition),
        [ReplayHeaders.originalOffset]: letter.originalOffset,
      });
      const value =
        letter.editedValue ??
        (letter.value === null ? null : letter.valueEncoding === 'base64' ? Buffer.from(letter.value, 'base64') : letter.value);
      // Nothing is marked when the broker does not take it: the letter stays as it was.
      const at = await this.producer.sendRawOne(topic, { key: letter.key, value, headers }).catch((error: unknown) => {
        this.logger.warn({ deadLetterId: id, topic, err: String(error) }, `replay of dead letter ${id} not sent: ${String(error)}`);
        throw new FlowlineError(
          'UNAVAILABLE',
          'KAFKA_UNAVAILABLE',
          `the replay could not be sent to ${topic}: ${String(error)}; try again`,
        );
      });
      await this.repository.update(manager, id, {
        status: 'replayed',
        replayCount: letter.replayCount + 1,
        replayedAt: new Date(),
        replayedPartition: at.partition,
        replayedOffset: at.offset,
      });
      await this.repository.audit(manager, id, 'replayed', by, {
        topic: letter.originalTopic,
        partition: at.partition,
        offset: at.offset,
        edited: letter.editedValue !== null || letter.editedHeaders !== null,
        forced: letter.status !== 'pending',
      });
      return { ...at, topic: letter.originalTopic };
    });
    this.metrics.actions.inc({ action: 'replayed' });
    this.logger.log(
      { deadLetterId: id, by, topic: written.topic, partition: written.partition, offset: written.offset, forced: force },
      `dead letter ${id} replayed by ${by} to ${written.topic} ${written.partition}/${written.offset}`,
    );
    return this.get(id);
  }

  /** Marks the letter as dealt with: kept (and audited), no longer pending, never replayed unless forced. */
  async discard(id: string, by: string) {
    this.checkId(id);
    await this.repository.withLocked(id, async (manager, row) => {
      const letter = this.exists(id, row);
      if (letter.status === 'discarded') throw failedPrecondition('DEAD_LETTER_DISCARDED', `dead letter ${id} was discarded already`);
      await this.repository.update(manager, id, { status: 'discarded' });
      await this.repository.audit(manager, id, 'discarded', by, { previousStatus: letter.status });
    });
    this.metrics.actions.inc({ action: 'discarded' });
    this.logger.log({ deadLetterId: id, by }, `dead letter ${id} discarded by ${by}`);
    return this.get(id);
  }

  private checkId(id: string): void {
    if (!UUID.test(id))
      throw invalidArgument('DEAD_LETTER_ID_INVALID', `'${id}' is not a dead letter id (a UUID)`, [
        { field: 'id', description: 'expected a UUID' },
      ]);
  }

  private exists(id: string, row: DeadLetterRow | null): DeadLetterRow {
    if (!row) throw notFound('DEAD_LETTER_NOT_FOUND', `no dead letter ${id}`);
    return row;
  }

  private async find(id: string): Promise<DeadLetterRow> {
    this.checkId(id);
    return this.exists(id, await this.repository.find(id));
  }
}
