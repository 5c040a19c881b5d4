/**
 * `npm run kafka:apache -- --port 9092 --data DIR`: a real Apache Kafka broker (KRaft, one node
 * that is broker and controller) on its own, fetched from Maven Central on first use.
 * Flags: --port N, --controller-port N, --host H, --data DIR, --partitions N, --version 4.x.y,
 * --log-level error|warn|info|debug, --fetch-only (fetch the release into the cache and exit).
 * Ctrl-C or SIGTERM stops it cleanly.
 */
import { APACHE_KAFKA_VERSION, ensureApacheKafka, startApacheKafka, type ApacheKafkaOptions } from './apache-kafka';

const USAGE = `usage: kafka:apache [--port 9092] [--controller-port PORT+1] [--host 127.0.0.1] [--data .data/apache-kafka] [--partitions 3] [--version ${APACHE_KAFKA_VERSION}] [--log-level warn] [--fetch-only]`;

function parse(argv: string[]): ApacheKafkaOptions & { fetchOnly?: boolean } {
  const options: ApacheKafkaOptions & { fetchOnly?: boolean } = { port: 9092, dataDir: '.data/apache-kafka', logLevel: 'warn' };
  const value = (flag: string, index: number): string => {
    const next = argv[index + 1];
    if (next === undefined || next.startsWith('--')) throw new Error(`${flag} needs a value\n${USAGE}`);
    return next;
  };
  const number = (flag: string, text: string) => {
    const parsed = Number(text);
    if (!Number.isInteger(parsed) || parsed <= 0 || parsed > 65535) throw new Error(`${flag} expects a port or count, got '${text}'\n${USAGE}`);
    return parsed;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    switch (flag) {
      case '--port':
        options.port = number(flag, value(flag, i++));
        break;
      case '--controller-port':
        options.controllerPort = number(flag, value(flag, i++));
        break;
      case '--host':
        options.host = value(flag, i++);
        break;
      case '--data':
        options.dataDir = value(flag, i++);
        break;
      case '--partitions':
        options.defaultPartitions = number(flag, value(flag, i++));
        break;
      case '--version':
        options.version = value(flag, i++);
        break;
      case '--log-level': {
        const level = value(flag, i++);
        if (!['error', 'warn', 'info', 'debug'].includes(level)) throw new Error(`--log-level is one of error, warn, info, debug\n${USAGE}`);
        options.logLevel = level as ApacheKafkaOptions['logLevel'];
        break;
      }
      case '--fetch-only':
        options.fetchOnly = true;
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
  let options: ApacheKafkaOptions & { fetchOnly?: boolean };
  try {
    options = parse(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  if (options.fetchOnly) {
    const release = await ensureApacheKafka({
      ...(options.version ? { version: options.version } : {}),
      output: (line) => process.stdout.write(`${line}\n`),
    });
    process.stdout.write(`Apache Kafka ${release.version} is in ${release.libDir}\n`);
    return;
  }
  process.stdout.write(`Starting Apache Kafka ${options.version ?? APACHE_KAFKA_VERSION} (KRaft) ...\n`);
  const broker = await startApacheKafka({ ...options, output: (line) => process.stdout.write(`${line}\n`) });
  process.stdout.write(
    `Apache Kafka ${broker.version} is ready on ${broker.brokers} (pid ${broker.pid}, data in ${options.dataDir}). Ctrl-C stops it.\n`,
  );
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('Stopping Apache Kafka ...\n');
    broker.close().then(
      () => {
        process.stdout.write('Apache Kafka stopped.\n');
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`Apache Kafka could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
