/** `npm run stop [-- --data DIR]`: stops a Flowline left running from its data folder. */
import * as path from 'node:path';
import { stopFlowline } from './stop-flowline';

const USAGE = `Usage: npm run stop [-- --data DIR]

Stops the Flowline that runs from the data folder DIR (default: FLOWLINE_DATA_DIR, else .data):
its launcher if it still runs, the services it started, then its embedded PostgreSQL. Says what
it stopped; does nothing when nothing runs there.`;

function dataDirFrom(argv: string[], env: NodeJS.ProcessEnv, cwd: string): string | { usage: string; code: number } {
  let dataDir = env['FLOWLINE_DATA_DIR'] || '.data';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return { usage: USAGE, code: 0 };
    if (arg === '--data' || arg.startsWith('--data=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (!value) return { usage: `--data needs a folder\n\n${USAGE}`, code: 2 };
      dataDir = value;
      continue;
    }
    return { usage: `unknown option '${arg}'\n\n${USAGE}`, code: 2 };
  }
  return path.resolve(cwd, dataDir);
}

async function main(): Promise<number> {
  // Resolved as the launcher resolves FLOWLINE_DATA_DIR: from the folder npm runs scripts in (the checkout).
  const dataDir = dataDirFrom(process.argv.slice(2), process.env, process.cwd());
  if (typeof dataDir !== 'string') {
    process.stderr.write(`${dataDir.usage}\n`);
    return dataDir.code;
  }
  const report = await stopFlowline(dataDir, { write: (text) => process.stdout.write(text) });
  return report.survivors.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`npm run stop failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
