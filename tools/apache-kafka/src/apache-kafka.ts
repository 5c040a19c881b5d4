/**
 * A real Apache Kafka broker on one machine: a pinned 4.x release fetched from Maven Central (the
 * broker jar and its runtime dependencies, with Log4j 2 for its logs) into a cache folder outside
 * the work tree, KRaft storage formatted, and one combined broker and controller started as a
 * Java process with settings fit for tests (no initial rebalance delay, one replica, topics
 * created on first use as production has them). It is ready when a client can fetch metadata.
 *
 * Used by Jest global setup (FLOWLINE_TEST_KAFKA=apache), the launcher (`npm start -- --kafka
 * apache`), `npm run kafka:apache` and the broker benchmark.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';

/** The Apache Kafka release Flowline is tested against (CI prints it). */
export const APACHE_KAFKA_VERSION = '4.4.0';

const TOOL_DIR = path.resolve(__dirname, '..');
// By path, not imported: dev-infra's Jest setup depends on this tool, not the other way round.
const GUARD = path.resolve(TOOL_DIR, '../dev-infra/src/postgres-guard.js');
const POM = path.join(TOOL_DIR, 'pom.xml');
const LOG4J_CONFIG = path.join(TOOL_DIR, 'log4j2.properties');

export type ApacheKafkaLogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface ApacheKafkaOptions {
  /** Client port (PLAINTEXT listener); 9092 by default. */
  port?: number;
  /** Controller (KRaft quorum) port; the client port + 1 by default. */
  controllerPort?: number;
  host?: string;
  /** KRaft storage and logs; formatted on first use, kept and reused afterwards. */
  dataDir: string;
  /** Partitions of a topic created on first use (num.partitions). */
  defaultPartitions?: number;
  /** A 4.x release other than the pinned one. */
  version?: string;
  /** Where fetched releases are kept; FLOWLINE_CACHE_DIR or ~/.cache/flowline by default. */
  cacheDir?: string;
  logLevel?: ApacheKafkaLogLevel;
  /** The broker's own log lines (and progress of the first fetch) go here; dropped by default. */
  output?: (line: string) => void;
  /** Maximum JVM heap in MiB (512 by default: enough for tests, small beside two cores). */
  heapMb?: number;
  /** How long to wait for the broker to answer metadata requests (60 s by default). */
  readyTimeoutMs?: number;
  /**
   * Run the JVM under the guard process the launcher uses for PostgreSQL
   * (tools/dev-infra/src/postgres-guard.js): the broker then stops even when this process is
   * SIGKILLed, since the guard watches a pipe only this process holds.
   */
  stopWithParent?: boolean;
}

export interface RunningApacheKafka {
  /** host:port, as KAFKA_BROKERS takes it. */
  readonly brokers: string;
  readonly version: string;
  /** The JVM's pid. */
  readonly pid: number;
  /** The server.properties it runs with (in the data folder): it names this broker in `ps`. */
  readonly configFile: string;
  /** Stops the broker (SIGTERM, a clean controlled shutdown; SIGKILL after 30 s). */
  close(): Promise<void>;
}

function cacheRoot(explicit?: string): string {
  return explicit ?? process.env['FLOWLINE_CACHE_DIR'] ?? path.join(homedir(), '.cache', 'flowline');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The class path of a release, fetched through Maven the first time. Concurrent callers (two
 * Jest runs at once) take turns through a lock folder, and a fetch that was cut off is started
 * over, since the jars land in a temporary folder renamed into place only when complete.
 */
export async function ensureApacheKafka(
  options: { version?: string; cacheDir?: string; output?: (line: string) => void } = {},
): Promise<{ version: string; libDir: string; classPath: string }> {
  const version = options.version ?? APACHE_KAFKA_VERSION;
  if (!/^4\.\d+\.\d+$/.test(version)) throw new Error(`Apache Kafka version '${version}' is not a 4.x.y release`);
  const home = path.join(cacheRoot(options.cacheDir), 'apache-kafka', version);
  const libDir = path.join(home, 'libs');
  const result = { version, libDir, classPath: path.join(libDir, '*') };
  if (existsSync(path.join(libDir, `kafka_2.13-${version}.jar`))) return result;

  await mkdir(home, { recursive: true });
  const lock = path.join(home, '.lock');
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      if (existsSync(path.join(libDir, `kafka_2.13-${version}.jar`))) return result;
      if (Date.now() > deadline) throw new Error(`another process holds ${lock} for over 10 minutes: remove it if none runs`);
      await sleep(500);
    }
  }
  try {
    if (existsSync(path.join(libDir, `kafka_2.13-${version}.jar`))) return result;
    const staging = path.join(home, `libs.${process.pid}.tmp`);
    await rm(staging, { recursive: true, force: true });
    options.output?.(`Fetching Apache Kafka ${version} from Maven Central into ${libDir} (once) ...`);
    const mvn = spawnSync(
      'mvn',
      [
        '-B',
        '-q',
        '-f',
        POM,
        `-Dkafka.version=${version}`,
        'dependency:copy-dependencies',
        `-DoutputDirectory=${staging}`,
        '-DincludeScope=runtime',
      ],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    if (mvn.error) throw new Error(`could not run Maven (mvn): ${mvn.error.message}. Install Maven and Java 17 or later.`);
    if (mvn.status !== 0) {
      const tail = `${mvn.stdout}\n${mvn.stderr}`.trim().split('\n').slice(-15).join('\n');
      throw new Error(`Maven could not fetch Apache Kafka ${version} (exit ${mvn.status}):\n${tail}`);
    }
    const jars = await readdir(staging);
    if (!jars.includes(`kafka_2.13-${version}.jar`)) throw new Error(`Maven ran but kafka_2.13-${version}.jar is not in ${staging}`);
    await rm(libDir, { recursive: true, force: true });
    await rename(staging, libDir);
    options.output?.(`Apache Kafka ${version}: ${jars.length} jars in ${libDir}`);
    return result;
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** server.properties of the single combined node: the settings tests and one machine need. */
export function serverProperties(settings: {
  host: string;
  port: number;
  controllerPort: number;
  logDir: string;
  defaultPartitions: number;
}): string {
  const { host, port, controllerPort, logDir, defaultPartitions } = settings;
  return [
    '# Written by tools/apache-kafka: one node that is both broker and KRaft controller.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${host}:${controllerPort}`,
    `listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://${host}:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${logDir}`,
    // Topics are created on first use with this many partitions, as production's are.
    'auto.create.topics.enable=true',
    `num.partitions=${defaultPartitions}`,
    // One node: every internal topic has one replica.
    'default.replication.factor=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    // A group's first member is given its partitions at once instead of after 3 s.
    'group.initial.rebalance.delay.ms=0',
    'num.network.threads=2',
    'num.io.threads=4',
    '',
  ].join('\n');
}

/** Waits until a client can fetch metadata from the broker (the broker is then ready). */
async function waitUntilReady(brokers: string, exited: () => string | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const why = exited();
    if (why) throw new Error(why);
    const kafka = new Kafka({
      clientId: 'flowline-apache-kafka-ready',
      brokers: [brokers],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      retry: { retries: 0 },
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length > 0 && cluster.controller !== null && cluster.controller >= 0) return;
      last = 'no controller yet';
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await sleep(250);
  }
  throw new Error(`Apache Kafka did not answer metadata requests on ${brokers} within ${timeoutMs} ms (last: ${last})`);
}

/** Formats the KRaft storage of dataDir when it has none yet (a kept folder is reused). */
function formatStorage(classPath: string, configFile: string, logDir: string): void {
  if (existsSync(path.join(logDir, 'meta.properties'))) return;
  const format = spawnSync(
    'java',
    [
      `-Dlog4j2.configurationFile=${LOG4J_CONFIG}`,
      '-cp',
      classPath,
      'kafka.tools.StorageTool',
      'format',
      '--cluster-id',
      clusterId(),
      '--config',
      configFile,
      '--ignore-formatted',
    ],
    { encoding: 'utf8' },
  );
  if (format.error) throw new Error(`could not run java: ${format.error.message}. Install Java 17 or later.`);
  if (format.status !== 0) throw new Error(`formatting KRaft storage in ${logDir} failed:\n${format.stdout}${format.stderr}`);
}

/**
 * A KRaft cluster id: 16 random bytes, base64url without padding (as kafka-storage random-uuid).
 * Like Kafka's own Uuid.randomUuid, never one that starts with '-': kafka-storage's argument
 * parser takes such a value for an option and refuses to format (one id in 64 did).
 */
export function clusterId(): string {
  for (;;) {
    const id = Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export async function startApacheKafka(options: ApacheKafkaOptions): Promise<RunningApacheKafka> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 9092;
  const controllerPort = options.controllerPort ?? port + 1;
  const output = options.output ?? (() => undefined);
  const { version, classPath } = await ensureApacheKafka({
    ...(options.version ? { version: options.version } : {}),
    ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
    output,
  });
  const dataDir = path.resolve(options.dataDir);
  const logDir = path.join(dataDir, 'kraft-logs');
  await mkdir(logDir, { recursive: true });
  const configFile = path.join(dataDir, 'server.properties');
  await writeFile(
    configFile,
    serverProperties({ host, port, controllerPort, logDir, defaultPartitions: options.defaultPartitions ?? 3 }),
  );
  formatStorage(classPath, configFile, logDir);

  const heap = options.heapMb ?? 512;
  const javaArgs = [
    `-Xms${Math.min(256, heap)}m`,
    `-Xmx${heap}m`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${LOG4J_CONFIG}`,
    `-Dflowline.kafka.logLevel=${(options.logLevel ?? 'warn').toUpperCase()}`,
    `-Dkafka.logs.dir=${dataDir}`,
    '-cp',
    classPath,
    'kafka.Kafka',
    configFile,
  ];
  // With the guard, the guard's stdin is the pipe it watches and its first stdout line the JVM's pid.
  const child: ChildProcess = options.stopWithParent
    ? spawn(process.execPath, [GUARD, '-', '-', 'java', ...javaArgs], { stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn('java', javaArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
  const jvmPid = options.stopWithParent
    ? new Promise<number>((resolve) => {
        let text = '';
        child.stdout?.on('data', (chunk: Buffer) => {
          text += chunk.toString('utf8');
          const line = text.split('\n')[0];
          if (text.includes('\n') && line) resolve(Number(line));
        });
      })
    : Promise.resolve(child.pid ?? -1);
  let exit: string | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = `Apache Kafka exited (${signal ?? `code ${code}`}) before it was ready; see its output above`;
      resolve();
    });
  });
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) output(line);
  };
  child.stderr?.on('data', forward);
  // A test run or launcher that exits without closing the broker still takes it down.
  // (Under the guard, this process's end closes the guard's pipe, and the guard stops the JVM.)
  const killOnExit = () => {
    if (!options.stopWithParent) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const brokers = `${host}:${port}`;
  try {
    await waitUntilReady(brokers, () => exit, options.readyTimeoutMs ?? 60_000);
  } catch (error) {
    // The guard passes SIGTERM on as a fast stop and kills the JVM itself if that is not enough.
    child.kill(options.stopWithParent ? 'SIGTERM' : 'SIGKILL');
    process.removeListener('exit', killOnExit);
    throw error;
  }
  let closing: Promise<void> | undefined;
  const pid = await Promise.race([jvmPid, new Promise<number>((resolve) => setTimeout(() => resolve(child.pid ?? -1), 5000))]);
  return {
    brokers,
    version,
    pid,
    configFile,
    close() {
      closing ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const forced = setTimeout(() => child.kill('SIGKILL'), 30_000);
          await exitedPromise;
          clearTimeout(forced);
        }
        process.removeListener('exit', killOnExit);
      })();
      return closing;
    },
  };
}
