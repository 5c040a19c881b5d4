/** `npm start`: runs Flowline on this machine with embedded defaults. */
import * as path from 'node:path';
import { Flowline } from './launcher';
import { readSettings, UsageError } from './settings';

async function main(): Promise<number> {
  const repoRoot = path.resolve(__dirname, '../../..');
  let settings;
  try {
    settings = readSettings(process.argv.slice(2), process.env, process.cwd());
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      return error.message.startsWith('Usage:') ? 0 : 2;
    }
    throw error;
  }
  const io = { write: (text: string) => process.stdout.write(text), useColour: process.stdout.isTTY === true && !process.env['NO_COLOR'] };
  const flowline = new Flowline(settings, repoRoot, io);
  // Before anything starts: a signal at any moment stops what was started so far.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => flowline.onSignal(signal));
  return flowline.run();
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`Flowline could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
