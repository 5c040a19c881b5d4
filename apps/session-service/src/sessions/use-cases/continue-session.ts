/** One step of a session on the interpreter: its dialog's compiled version, the run context, the input. */
import type { Input } from '@flowline/process-runtime';
import type { DialogDefinitions } from '../../clients/dialog-definitions';
import type { ProcessSessionRow } from '../process-session.entity';
import type { RunOutcome, SessionRunner } from '../session-runner';

export async function continueSession(
  definitions: DialogDefinitions,
  runner: SessionRunner,
  row: ProcessSessionRow,
  actor: string,
  input: (now: string) => Input,
): Promise<{ run: RunOutcome; now: Date }> {
  const compiled = await definitions.version(row.dialogId, row.dialogVersion);
  const now = new Date();
  const run = await runner.run(
    { sessionId: row.id, compiled, actor, correlationId: row.correlationId, pageToken: row.rowVersion, now: () => new Date() },
    row.interpreterState,
    input(now.toISOString()),
  );
  return { run, now };
}
