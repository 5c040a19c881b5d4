/** `flowline dlq`: the dead letters the executor keeps: list, read, replay to their topic, discard. */
import type { Command } from 'commander';
import { withContext, type Context } from '../context';
import { CliError, usageError } from '../errors';

interface ListOptions {
  topic?: string;
  reason?: string;
  key?: string;
  group?: string;
  status?: string;
  failedAfter?: string;
  failedBefore?: string;
  text?: string;
  pageSize: string;
  pageToken?: string;
}

async function list(context: Context, options: ListOptions): Promise<void> {
  if (options.status && !['pending', 'replayed', 'discarded'].includes(options.status)) throw usageError(`--status expected pending, replayed or discarded, got '${options.status}'`);
  const answer = await context.conn.grpc('deadLetters').listDeadLetters({
    page: { pageSize: Number(options.pageSize), pageToken: options.pageToken ?? '' },
    topic: options.topic ?? '',
    reasonCode: options.reason ?? '',
    key: options.key ?? '',
    consumerGroup: options.group ?? '',
    status: options.status ?? '',
    failedAfter: options.failedAfter ?? '',
    failedBefore: options.failedBefore ?? '',
    text: options.text ?? '',
  });
  context.out.result({ deadLetters: answer.deadLetters, nextPageToken: answer.page?.nextPageToken ?? '', totalCount: answer.page?.totalCount ?? 0 }, () => {
    context.out.table(
      ['id', 'status', 'topic', 'key', 'reason code', 'failed', 'replays'],
      answer.deadLetters.map((d) => [d.id, d.status, d.originalTopic, d.key, d.reasonCode, d.failedAt, d.replayCount]),
    );
    if (answer.page?.nextPageToken) context.out.line(`more: --page-token ${answer.page.nextPageToken}`);
  });
}

async function get(context: Context, id: string): Promise<void> {
  const d = await context.conn.grpc('deadLetters').getDeadLetter({ id });
  context.out.result(d, () => {
    context.out.fields({
      id: d.id,
      status: d.status,
      topic: `${d.originalTopic} [${d.originalPartition}] @${d.originalOffset}`,
      key: d.key,
      'reason code': d.reasonCode,
      reason: d.reason,
      group: d.consumerGroup,
      failed: d.failedAt,
      replays: d.replayCount ? `${d.replayCount}, last ${d.replayedAt} at [${d.replayedPartition}] @${d.replayedOffset}` : '',
      value: d.edited && d.editedValue ? `${d.editedValue} (edited)` : d.value,
    });
    if (d.audit.length > 0) {
      context.out.line();
      context.out.table(['action', 'by', 'at'], d.audit.map((entry) => [entry.action, entry.actor, entry.at]));
    }
  });
}

async function replay(context: Context, id: string, options: { force?: boolean }): Promise<void> {
  const d = await context.conn
    .grpc('deadLetters')
    .replayDeadLetter({ id, force: options.force === true })
    .catch((error: unknown) => {
      // The service names its own field (force=true); say which flag that is here.
      if (error instanceof CliError && /force/.test(error.message)) throw new CliError(`${error.message} (flowline dlq replay ${id} --force)`, error.exitCode, error.code);
      throw error;
    });
  context.out.result(d, () => context.out.line(`${d.id} replayed to ${d.originalTopic} [${d.replayedPartition}] @${d.replayedOffset} (replay ${d.replayCount})`));
}

async function discard(context: Context, id: string): Promise<void> {
  const d = await context.conn.grpc('deadLetters').discardDeadLetter({ id });
  context.out.result(d, () => context.out.line(`${d.id} discarded`));
}

export function dlqCommand(program: Command): void {
  const dlq = program.command('dlq').description('dead letters (what reached flowline.dead-letter.v1): list, get, replay, discard');
  dlq
    .command('list')
    .description('list dead letters, newest first')
    .option('--topic <topic>', 'the topic it failed on')
    .option('--reason <code>', 'the reason code, e.g. INVALID_PAYLOAD')
    .option('--key <key>', 'the message key')
    .option('--group <group>', 'the consumer group that failed it')
    .option('--status <status>', 'pending, replayed or discarded')
    .option('--failed-after <time>', 'failed after this time (RFC 3339)')
    .option('--failed-before <time>', 'failed before this time (RFC 3339)')
    .option('--text <text>', 'text in the value or the reason')
    .option('--page-size <n>', 'dead letters per page', '50')
    .option('--page-token <token>', 'the next page, as printed')
    .action(withContext(list));
  dlq.command('get').description('show one dead letter with its value and audit').argument('<id>', 'dead letter id').action(withContext(get));
  dlq
    .command('replay')
    .description('send it (its edited value, or the original) again to the topic it failed on')
    .argument('<id>', 'dead letter id')
    .option('--force', 'replay one already replayed')
    .action(withContext(replay));
  dlq.command('discard').description('mark it discarded (kept, with the audit)').argument('<id>', 'dead letter id').action(withContext(discard));
}
