/** `flowline sessions`: dialog sessions: list and read. */
import type { Command } from 'commander';
import { withContext, type Context } from '../context';
import { usageError } from '../errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function list(context: Context, options: { dialog?: string; entity?: string; record?: string; startedBy?: string; state?: string; status?: string; pageSize: string; pageToken?: string }): Promise<void> {
  const state = options.state === undefined ? undefined : ({ incomplete: 0, complete: 1, '0': 0, '1': 1 } as Record<string, number>)[options.state.toLowerCase()];
  if (options.state !== undefined && state === undefined) throw usageError(`--state expected incomplete or complete, got '${options.state}'`);
  const answer = await context.conn.grpc('sessions').listSessions({
    page: { pageSize: Number(options.pageSize), pageToken: options.pageToken ?? '' },
    ...(options.dialog ? { dialog: UUID.test(options.dialog) ? { id: options.dialog, uniqueName: '' } : { id: '', uniqueName: options.dialog } } : {}),
    entity: options.entity ?? '',
    recordId: options.record ?? '',
    startedBy: options.startedBy ?? '',
    filterByState: state !== undefined,
    state: state ?? 0,
    status: Number(options.status ?? 0),
  });
  context.out.result({ sessions: answer.sessions, nextPageToken: answer.page?.nextPageToken ?? '' }, () => {
    context.out.table(
      ['id', 'dialog', 'state', 'record', 'started by', 'started'],
      answer.sessions.map((s) => [s.id, `${s.dialogUniqueName} v${s.dialogVersion}`, `${s.stateName} (${s.statusName})`, s.recordId ? `${s.entity} ${s.recordId}` : '', s.startedBy, s.startedOn]),
    );
    if (answer.page?.nextPageToken) context.out.line(`more: --page-token ${answer.page.nextPageToken}`);
  });
}

async function get(context: Context, id: string): Promise<void> {
  const detail = await context.conn.grpc('sessions').getSession({ sessionId: id });
  context.out.result(detail, () => {
    const s = detail.view?.session;
    if (s)
      context.out.fields({
        id: s.id,
        dialog: `${s.dialogUniqueName} v${s.dialogVersion}`,
        state: `${s.stateName} (${s.statusName})`,
        record: s.recordId ? `${s.entity} ${s.recordId}` : '',
        'current page': s.currentPageId,
        'started': `${s.startedOn} by ${s.startedBy}`,
        completed: s.completedOn ? `${s.completedOn} by ${s.completedBy}` : '',
        canceled: s.canceledOn ? `${s.canceledOn} by ${s.canceledBy}` : '',
        outcome: s.outcomeMessage,
        answers: s.answersJson,
      });
    if (detail.actions.length > 0) {
      context.out.line();
      context.out.table(['#', 'action', 'step', 'by', 'at'], detail.actions.map((a) => [a.sequence, a.kind, a.stepId, a.performedBy, a.performedOn]));
    }
  });
}

export function sessionsCommand(program: Command): void {
  const sessions = program.command('sessions').description('dialog sessions: list, get');
  sessions
    .command('list')
    .description('list dialog sessions')
    .option('--dialog <idOrName>', 'the dialog')
    .option('--entity <entity>', 'the entity of the record it was started from')
    .option('--record <id>', 'the record id')
    .option('--started-by <user>', 'the user who started it')
    .option('--state <state>', 'incomplete or complete')
    .option('--status <code>', 'status code: 1 Not Started, 2 In Progress, 3 Paused, 4 Completed, 5 Canceled, 6 Failed')
    .option('--page-size <n>', 'sessions per page', '50')
    .option('--page-token <token>', 'the next page, as printed')
    .action(withContext(list));
  sessions.command('get').description('show one session with its actions').argument('<id>', 'session id').action(withContext(get));
}
