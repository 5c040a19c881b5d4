/**
 * `npm run kafka-broker -- --port 9092 --data DIR`: the development broker on its own.
 * Flags: --port N, --host H, --advertised-host H, --data DIR | --in-memory, --partitions N,
 * --no-auto-create, --log-level debug|info|warn|error.
 */
import { startBroker, type BrokerOptions } from './broker';

const USAGE =
  'usage: kafka-broker [--port 9092] [--host 127.0.0.1] [--advertised-host H] [--data DIR | --in-memory] [--partitions 3] [--no-auto-create] [--log-level info]';

function parse(argv: string[]): BrokerOptions {
  const options: BrokerOptions = { port: 9092, logLevel: 'info', dataDir: '.data/kafka' };
  const value = (flag: string, index: number): string => {
    const next = argv[index + 1];
    if (next === undefined || next.startsWith('--')) throw new Error(`${flag} needs a value\n${USAGE}`);
    return next;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const number = (text: string) => {
      const parsed = Number(text);
      if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`${flag} expects a whole number, got '${text}'\n${USAGE}`);
      return parsed;
    };
    switch (flag) {
      case '--port':
        options.port = number(value(flag, i++));
        break;
      case '--host':
        options.host = value(flag, i++);
        break;
      case '--advertised-host':
        options.advertisedHost = value(flag, i++);
        break;
      case '--data':
        options.dataDir = value(flag, i++);
        break;
      case '--in-memory':
        delete options.dataDir;
        break;
      case '--partitions':
        options.defaultPartitions = number(value(flag, i++));
        break;
      case '--no-auto-create':
        options.autoCreateTopics = false;
        break;
      case '--log-level':
        options.logLevel = value(flag, i++) as BrokerOptions['logLevel'];
        break;
      case '--help':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown flag '${flag}'\n${USAGE}`);
    }
  }
  return options;
}

async function main(): Promise<void> {
  let options: BrokerOptions;
  try {
    options = parse(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  const broker = await startBroker(options);
  process.stdout.write(
    `Kafka development broker listening on ${broker.brokers} (${options.dataDir ? `data in ${options.dataDir}` : 'in memory'})\n`,
  );
  const stop = () => {
    broker.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`kafka-broker could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
