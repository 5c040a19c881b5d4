/** `flowline schedules`: the schedules of active workflow versions: list, pause, resume, trigger now. */
import type { Command } from 'commander';
import type { ExecutorProto } from '@flowline/rpc';
import { withContext, type Context } from '../context';

const timing = (s: ExecutorProto.Schedule) => (s.cron ? `cron '${s.cron}' ${s.timeZone}` : `every ${Number(s.everyMs) / 1000}s`);

async function list(context: Context): Promise<void> {
  const answer = await context.conn.grpc('schedules').listSchedules({});
  context.out.result(answer, () =>
    context.out.table(
      ['id', 'workflow', 'timing', 'paused', 'next', 'last', 'last outcome'],
      answer.schedules.map((s) => [
        s.id,
        s.uniqueName,
        timing(s),
        s.paused ? `by ${s.pausedBy}` : '',
        s.nextFireAt,
        s.lastFiredAt,
        s.lastOutcome,
      ]),
    ),
  );
}

function show(context: Context, s: ExecutorProto.Schedule, what: string): void {
  context.out.result(s, () => context.out.line(`${s.id} (${s.uniqueName}) ${what}; next firing ${s.nextFireAt || 'none'}`));
}

async function pause(context: Context, id: string): Promise<void> {
  show(context, await context.conn.grpc('schedules').pauseSchedule({ id }), 'paused');
}

async function resume(context: Context, id: string): Promise<void> {
  show(context, await context.conn.grpc('schedules').resumeSchedule({ id }), 'resumed');
}

async function trigger(context: Context, id: string): Promise<void> {
  const answer = await context.conn.grpc('schedules').triggerSchedule({ id });
  context.out.result(answer, () =>
    context.out.line(
      `${id} triggered: ${answer.operationIds.length} run(s) started${answer.operationIds.length ? `: ${answer.operationIds.join(', ')}` : ''}`,
    ),
  );
}

export function schedulesCommand(program: Command): void {
  const schedules = program.command('schedules').description('schedules of active workflows: list, pause, resume, trigger (role operator)');
  schedules.command('list').description('every schedule with its next and last firing').action(withContext(list));
  schedules
    .command('pause')
    .description('stop firing a schedule until it is resumed')
    .argument('<id>', 'schedule id (<definition id>:<trigger index>)')
    .action(withContext(pause));
  schedules
    .command('resume')
    .description('fire it again from its next due time (no catch-up of what fell due while paused)')
    .argument('<id>', 'schedule id')
    .action(withContext(resume));
  schedules
    .command('trigger')
    .description("start the schedule's runs now, whatever its overlap policy")
    .argument('<id>', 'schedule id')
    .action(withContext(trigger));
}
