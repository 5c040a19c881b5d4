/**
 * `flowline`: the command line for Flowline's services. Exit codes: 0 ok, 1 refused or failed,
 * 2 usage error, 3 a service unreachable, 4 no token or not allowed (docs/cli.md).
 */
import { Command, CommanderError, Option } from 'commander';
import { defsCommand } from './commands/defs';
import { dlqCommand } from './commands/dlq';
import { eventsCommand } from './commands/events';
import { jobsCommand } from './commands/jobs';
import { recordsCommand } from './commands/records';
import { schedulesCommand } from './commands/schedules';
import { sessionsCommand } from './commands/sessions';
import { statusCommand } from './commands/status';
import { tokenCommand } from './commands/token';
import { CliError, ExitCode } from './errors';

export function buildProgram(): Command {
  const program = new Command('flowline')
    .description('Manage Flowline: definitions, system jobs, dead letters, schedules, sessions, records, events and tokens.')
    .version('0.1.0')
    .option('--json', 'print results as JSON (for scripts)')
    .option('--config <file>', 'config file (default: FLOWLINE_CONFIG, else ~/.config/flowline/config.json)')
    .option('--token <token>', 'bearer token (default: FLOWLINE_TOKEN, the config file, else ./.data/admin-token)')
    .option('--timeout <ms>', 'deadline of each call (default: FLOWLINE_TIMEOUT_MS, else 15000)')
    .option('--kafka-brokers <list>', 'Kafka for events send (default: KAFKA_BROKERS, else 127.0.0.1:9092)')
    .option('--topic-prefix <prefix>', 'topic prefix for events send (default: KAFKA_TOPIC_PREFIX)');
  for (const [key, http, grpc] of [
    ['registry', 8081, 50051],
    ['gateway', 8080, 50052],
    ['executor', 8082, 50053],
    ['sessions', 8083, 50054],
  ] as const) {
    program.addOption(new Option(`--${key}-url <url>`, `${key} HTTP URL (FLOWLINE_${key.toUpperCase()}_URL; http://127.0.0.1:${http})`).helpGroup('Service addresses:'));
    program.addOption(new Option(`--${key}-grpc <host:port>`, `${key} gRPC address (FLOWLINE_${key.toUpperCase()}_GRPC; 127.0.0.1:${grpc})`).helpGroup('Service addresses:'));
  }
  program.addHelpText('after', '\nExit codes: 0 ok, 1 refused or failed, 2 usage error, 3 a service unreachable, 4 no token or not allowed.\nEvery command has --help. See docs/cli.md.');
  program.exitOverride().showHelpAfterError('(add --help for usage)');
  statusCommand(program);
  defsCommand(program);
  jobsCommand(program);
  dlqCommand(program);
  schedulesCommand(program);
  sessionsCommand(program);
  recordsCommand(program);
  eventsCommand(program);
  tokenCommand(program);
  return program;
}

export async function run(argv: string[]): Promise<number> {
  // `flowline jobs list | head`: a reader that stops early is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(ExitCode.ok);
    throw error;
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and --version end with 0; commander has already printed what was wrong.
      return error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help' ? ExitCode.ok : ExitCode.usage;
    }
    if (error instanceof CliError) {
      if (error.message) process.stderr.write(`flowline: ${error.message}\n`);
      for (const violation of error.violations) process.stderr.write(`  ${violation.field}: ${violation.description}\n`);
      return error.exitCode;
    }
    process.stderr.write(`flowline: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return ExitCode.failed;
  }
}

if (require.main === module) {
  void run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
