/** `flowline jobs`: system jobs (async operations): list, read, and act on one or, with --all-matching, on every match. */
import { createInterface } from 'node:readline/promises';
import { Command, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import type { ExecutorProto } from '@flowline/rpc';
import { waitUntil } from '../wait';
import { withContext, type Context } from '../context';
import { CliError, ExitCode, usageError } from '../errors';

const STATES: Record<string, number> = { ready: 0, suspended: 1, locked: 2, completed: 3 };
const STATUSES: Record<string, number> = {
  waitingforresources: 0, waiting: 10, inprogress: 20, pausing: 21, canceling: 22, succeeded: 30, failed: 31, canceled: 32,
};
const STEP_STATUS: Record<number, string> = { 1: 'InProgress', 2: 'Succeeded', 3: 'Failed', 4: 'Canceled', 5: 'Waiting' };

function codes(values: string[] | undefined, names: Record<string, number>, option: string): number[] {
  return (values ?? []).flatMap((value) => value.split(',')).map((value) => {
    const code = /^\d+$/.test(value) ? Number(value) : names[value.toLowerCase()];
    if (code === undefined) throw usageError(`${option} expected one of ${Object.keys(names).join(', ')} (or its number), got '${value}'`);
    return code;
  });
}

interface FilterOptions {
  state?: string[];
  status?: string[];
  definition?: string;
  name?: string;
  entity?: string;
  record?: string;
  correlation?: string;
  createdAfter?: string;
  createdBefore?: string;
}

function filterOf(options: FilterOptions, page?: { pageSize: number; pageToken: string }): ExecutorProto.ListOperationsRequest {
  for (const [option, value] of [['--created-after', options.createdAfter], ['--created-before', options.createdBefore]] as const) {
    if (value !== undefined && Number.isNaN(Date.parse(value))) throw usageError(`${option} expected a time such as 2026-12-01T09:00:00Z, got '${value}'`);
  }
  return {
    page: page ?? { pageSize: 0, pageToken: '' },
    states: codes(options.state, STATES, '--state'),
    statuses: codes(options.status, STATUSES, '--status'),
    definitionId: options.definition ?? '',
    name: options.name ?? '',
    primaryEntity: options.entity ?? '',
    regardingId: options.record ?? '',
    correlationId: options.correlation ?? '',
    createdAfter: options.createdAfter ? new Date(options.createdAfter).toISOString() : '',
    createdBefore: options.createdBefore ? new Date(options.createdBefore).toISOString() : '',
    text: '',
    sort: '',
  };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function addFilters(command: Command): Command {
  return command
    .option('--state <state>', 'ready, suspended, locked, completed (or 0-3); repeatable or comma-separated', collect)
    .option('--status <status>', 'status reason: waiting, inprogress, succeeded, failed, canceled, ... (or its code); repeatable', collect)
    .option('--definition <id>', 'the definition id')
    .option('--name <name>', "the job's name (a workflow's unique name)")
    .option('--entity <entity>', 'the primary entity')
    .option('--record <id>', 'the record id the job is about')
    .option('--correlation <id>', 'the correlation id')
    .option('--created-after <time>', 'created after this time (RFC 3339)')
    .option('--created-before <time>', 'created before this time (RFC 3339)');
}

const stateLabel = (operation: ExecutorProto.AsyncOperation) => `${operation.stateName} (${operation.statusName})`;

async function list(context: Context, options: FilterOptions & { pageSize: string; pageToken?: string }): Promise<void> {
  const answer = await context.conn.grpc('operations').listOperations(filterOf(options, { pageSize: Number(options.pageSize), pageToken: options.pageToken ?? '' }));
  context.out.result({ operations: answer.operations, nextPageToken: answer.page?.nextPageToken ?? '', totalCount: answer.page?.totalCount ?? 0 }, () => {
    context.out.table(
      ['id', 'name', 'type', 'state', 'entity', 'record', 'created', 'error'],
      answer.operations.map((o) => [o.id, o.name, o.operationType, stateLabel(o), o.primaryEntity, o.regardingId, o.createdOn, o.errorCode]),
    );
    context.out.line(`${answer.operations.length} of ${answer.totalCountCapped ? 'more than ' : ''}${answer.page?.totalCount ?? answer.operations.length} job(s)${answer.page?.nextPageToken ? `; more: --page-token ${answer.page.nextPageToken}` : ''}`);
  });
}

async function get(context: Context, id: string): Promise<void> {
  const detail = await context.conn.grpc('operations').getOperation({ id });
  const o = detail.operation!;
  context.out.result(detail, () => {
    context.out.fields({
      id: o.id,
      name: o.name,
      type: o.operationType,
      state: stateLabel(o),
      definition: o.definitionId ? `${o.definitionId} v${o.definitionVersion}` : '',
      record: o.regardingId ? `${o.primaryEntity} ${o.regardingId}` : '',
      correlation: o.correlationId,
      owner: o.owner,
      'postpone until': o.postponeUntil,
      retries: o.retryCount,
      'next attempt': o.nextAttemptAt,
      error: o.errorCode ? `${o.errorCode}: ${o.friendlyMessage}` : '',
      'last error': o.lastError,
      created: o.createdOn,
      started: o.startedOn,
      completed: o.completedOn,
      parent: o.parentOperationId,
    });
    if (detail.steps.length > 0) {
      context.out.line();
      context.out.table(['step', 'type', 'status', 'finished', 'message'], detail.steps.map((s) => [s.path || s.stepId, s.stepType, STEP_STATUS[s.status] ?? s.status, s.loggedOn, s.message]));
    }
  });
}

type ActionName = 'cancel' | 'pause' | 'resume' | 'postpone' | 'retry';

async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}

async function bulk(context: Context, action: ActionName, options: FilterOptions & { yes?: boolean; dryRun?: boolean }, until: string): Promise<void> {
  const client = context.conn.grpc('operations');
  const filter = filterOf(options);
  const count = await client.startBulkAction({ action, filter, dryRun: true, until });
  const byState = Object.fromEntries(Object.entries(count.byState).map(([state, n]) => [Object.keys(STATES)[Number(state)] ?? state, n]));
  if (options.dryRun || count.matching === 0) {
    context.out.result({ dryRun: true, action, matching: count.matching, byState }, () =>
      context.out.line(`${count.matching} job(s) match${count.matching ? ` (${Object.entries(byState).map(([s, n]) => `${s} ${n}`).join(', ')})` : ''}; ${count.matching ? `run again without --dry-run to ${action} them` : 'nothing to do'}`),
    );
    return;
  }
  context.out.note(`${count.matching} job(s) match (${Object.entries(byState).map(([s, n]) => `${s} ${n}`).join(', ')})`);
  if (!options.yes) {
    if (!process.stdin.isTTY) throw new CliError(`refusing to ${action} ${count.matching} job(s) without confirmation: add --yes (or run with --dry-run to count only)`, ExitCode.failed, 'NOT_CONFIRMED');
    if (!(await confirm(`${action} ${count.matching} job(s)?`))) throw new CliError('nothing was done', ExitCode.failed, 'NOT_CONFIRMED');
  }
  const started = await client.startBulkAction({ action, filter, dryRun: false, until });
  const id = started.bulkAction!.operation!.id;
  context.out.note(`bulk ${action} started as system job ${id}`);
  const bar = process.stderr.isTTY && !context.config.json ? new SingleBar({ format: `${action} [{bar}] {value}/{total} applied {applied} refused {refused}`, stream: process.stderr }) : undefined;
  bar?.start(started.bulkAction!.total || count.matching, 0, { applied: 0, refused: 0 });
  let last = started.bulkAction!;
  try {
    last = await waitUntil(async () => {
      const now = await client.getBulkAction({ id });
      bar?.setTotal(now.total || count.matching);
      bar?.update(now.done, { applied: now.applied, refused: now.refused });
      return now.operation!.state === 3 ? now : undefined;
    });
  } finally {
    bar?.stop();
  }
  context.out.result(last, () => {
    context.out.line(`bulk ${action} ${id}: ${stateLabel(last.operation!)}; ${last.applied} applied, ${last.refused} refused of ${last.total}`);
    if (last.refusals.length > 0) context.out.table(['job', 'refused because'], last.refusals.map((r) => [r.operationId, r.message]));
  });
  if (last.operation!.status !== 30) throw new CliError(`the bulk ${action} ended ${stateLabel(last.operation!)}: see flowline jobs get ${id}`, ExitCode.failed, 'BULK_FAILED');
}

async function act(context: Context, action: ActionName, id: string | undefined, options: FilterOptions & { allMatching?: boolean; yes?: boolean; dryRun?: boolean; until?: string }): Promise<void> {
  let until = '';
  if (action === 'postpone') {
    if (!options.until || Number.isNaN(Date.parse(options.until))) throw usageError('postpone needs --until <time>, e.g. --until 2026-12-01T09:00:00Z');
    until = new Date(options.until).toISOString();
  }
  if (options.allMatching) {
    if (id) throw usageError(`give a job id or --all-matching with filters, not both`);
    await bulk(context, action, options, until);
    return;
  }
  if (!id) throw usageError(`${action} needs a job id, or --all-matching with filters (flowline jobs ${action} --help)`);
  if (options.dryRun) throw usageError('--dry-run goes with --all-matching');
  const client = context.conn.grpc('operations');
  const operation =
    action === 'cancel' ? await client.cancelOperation({ id })
    : action === 'pause' ? await client.pauseOperation({ id })
    : action === 'resume' ? await client.resumeOperation({ id })
    : action === 'retry' ? await client.retryOperation({ id })
    : await client.postponeOperation({ id, until });
  context.out.result(operation, () => context.out.line(`${operation.id} ${operation.name}: ${stateLabel(operation)}`));
}

export function jobsCommand(program: Command): void {
  const jobs = program.command('jobs').description('system jobs (async operations): list, get, cancel, pause, resume, postpone, retry');
  addFilters(jobs.command('list').description('list jobs matching the filters, newest first'))
    .option('--page-size <n>', 'jobs per page', '50')
    .option('--page-token <token>', 'the next page, as printed')
    .action(withContext(list));
  jobs.command('get').description('show one job with its step log').argument('<id>', 'job id').action(withContext(get));
  const actions: Array<[ActionName, string]> = [
    ['cancel', 'cancel a job (from Ready, Suspended or Locked)'],
    ['pause', 'pause a running (Locked) job at its next step boundary'],
    ['resume', 'resume a Suspended job'],
    ['postpone', 'postpone a Ready or Suspended job until --until'],
    ['retry', 'retry a Failed job from its last persisted point'],
  ];
  for (const [action, description] of actions) {
    const command = addFilters(
      jobs
        .command(action)
        .description(`${description}; with --all-matching, every job the filters match (counted first, then confirmed, then run as a bulk job with progress)`)
        .argument('[id]', 'job id (or --all-matching)'),
    )
      .option('--all-matching', 'act on every job the filters match, as one bulk job')
      .option('--dry-run', 'with --all-matching: count what matches, change nothing')
      .option('-y, --yes', 'with --all-matching: do not ask for confirmation');
    if (action === 'postpone') command.addOption(new Option('--until <time>', 'not before this time (RFC 3339)'));
    command.action(withContext((context: Context, id: string | undefined, options: FilterOptions) => act(context, action, id, options)));
  }
}
