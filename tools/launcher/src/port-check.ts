/**
 * Before the launcher starts anything it checks that every port it needs is free (the HTTP and
 * gRPC port of every service, the embedded PostgreSQL's and the development broker's), and for
 * a port that is taken it names the process that holds it when the system lets us find it
 * (Linux: the listening socket in /proc/net/tcp*, its owner through /proc/<pid>/fd), with what
 * to do about it.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import { isPortTaken } from '@flowline/dev-infra';
import { commandLineOf } from './processes';
import { REPLICA_PORT_STEP, type LauncherSettings } from './settings';

export interface NeededPort {
  port: number;
  host: string;
  /** What listens there, e.g. `process-registry gRPC`. */
  what: string;
  /** The setting that moves it, e.g. `PROCESS_REGISTRY_GRPC_PORT`. */
  setting: string;
}

export interface PortHolder {
  pid: number;
  command: string;
}

export interface TakenPort extends NeededPort {
  holder?: PortHolder;
}

export function neededPorts(settings: LauncherSettings): NeededPort[] {
  const ports: NeededPort[] = [];
  if (!settings.databaseUrl) {
    ports.push({ port: settings.postgresPort, host: '127.0.0.1', what: 'the embedded PostgreSQL', setting: 'FLOWLINE_PG_PORT' });
  }
  if (!settings.kafkaBrokers && settings.kafkaKind === 'apache') {
    ports.push({ port: settings.kafkaPort, host: settings.host, what: 'Apache Kafka', setting: 'FLOWLINE_KAFKA_PORT' });
    ports.push({
      port: settings.kafkaControllerPort,
      host: settings.host,
      what: "Apache Kafka's controller",
      setting: 'FLOWLINE_KAFKA_CONTROLLER_PORT',
    });
  } else if (!settings.kafkaBrokers) {
    ports.push({ port: settings.kafkaPort, host: settings.host, what: 'the Kafka development broker', setting: 'FLOWLINE_KAFKA_PORT' });
  }
  const replicaIndex = new Map<string, number>();
  for (const plan of settings.services) {
    const k = replicaIndex.get(plan.descriptor.name) ?? 0;
    replicaIndex.set(plan.descriptor.name, k + 1);
    const offset = k === 0 ? '' : ` + ${k * REPLICA_PORT_STEP}`;
    const prefix = plan.descriptor.envPrefix;
    ports.push({ port: plan.httpPort, host: settings.host, what: `${plan.label} HTTP`, setting: `${prefix}_HTTP_PORT${offset}` });
    ports.push({ port: plan.grpcPort, host: settings.host, what: `${plan.label} gRPC`, setting: `${prefix}_GRPC_PORT${offset}` });
  }
  return ports;
}

/** Two components given the same port: a settings mistake, reported before anything is tried. */
export function clashingPorts(ports: NeededPort[]): string[] {
  const byPort = new Map<number, NeededPort[]>();
  for (const needed of ports) byPort.set(needed.port, [...(byPort.get(needed.port) ?? []), needed]);
  return [...byPort.values()]
    .filter((group) => group.length > 1)
    .map((group) => `port ${group[0]!.port} is set for ${group.map((needed) => `${needed.what} (${needed.setting})`).join(' and ')}`);
}

export async function findTakenPorts(ports: NeededPort[]): Promise<TakenPort[]> {
  const taken: TakenPort[] = [];
  for (const needed of ports) {
    if (!(await isPortTaken(needed.port, needed.host))) continue;
    const holder = await findListener(needed.port).catch(() => undefined);
    taken.push(holder ? { ...needed, holder } : needed);
  }
  return taken;
}

/** Socket inodes listening on `port` in the text of /proc/net/tcp or /proc/net/tcp6. */
export function listeningInodes(procNetTcp: string, port: number): string[] {
  const inodes: string[] = [];
  for (const line of procNetTcp.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const localPort = parseInt(fields[1]!.split(':').pop() ?? '', 16);
    const listening = fields[3] === '0A';
    if (listening && localPort === port && fields[9] !== '0') inodes.push(fields[9]!);
  }
  return inodes;
}

/** The process listening on a port, found through /proc (Linux); undefined elsewhere or when hidden from us. */
export async function findListener(port: number): Promise<PortHolder | undefined> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const inode of listeningInodes(text, port)) inodes.add(inode);
  }
  if (inodes.size === 0) return undefined;
  const wanted = new Set([...inodes].map((inode) => `socket:[${inode}]`));
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((entry) => /^\d+$/.test(entry));
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      if (wanted.has(target)) {
        return { pid: Number(pid), command: (await commandLineOf(Number(pid))) ?? '(command unknown)' };
      }
    }
  }
  return undefined;
}

const shorten = (text: string, max = 160) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** What to do about a port someone holds, from what the holder looks like. */
export function adviceFor(taken: TakenPort): string {
  const holder = taken.holder;
  if (!holder) return `stop what uses it, or set ${taken.setting} to a free port`;
  const postgresData = / -D (\S+)\/postgres(?: |$)/.exec(holder.command)?.[1];
  if (postgresData && /postgres/.test(holder.command)) {
    return `it is the embedded PostgreSQL of a Flowline with data in ${postgresData}: stop it with 'npm run stop -- --data ${postgresData}', or set ${taken.setting} to a free port`;
  }
  if (holder.command.includes('tools/launcher/src/main')) {
    return `it is a Flowline launcher: stop it with Ctrl-C in its terminal or 'npm run stop -- --data DIR' (its data folder), or set ${taken.setting} to a free port`;
  }
  const service = /apps\/([a-z-]+)\/src\/main/.exec(holder.command)?.[1];
  if (service) {
    return `it is a Flowline ${service} left running: stop it with 'npm run stop -- --data DIR' (the data folder of the Flowline that started it) or 'kill ${holder.pid}', or set ${taken.setting} to a free port`;
  }
  return `stop it ('kill ${holder.pid}') or set ${taken.setting} to a free port`;
}

export function describeTakenPorts(taken: TakenPort[]): string {
  const lines = taken.map((port) => {
    const by = port.holder ? `is held by pid ${port.holder.pid} (${shorten(port.holder.command)})` : 'is in use';
    return `  port ${port.port} for ${port.what} (${port.setting}) ${by}:\n    ${adviceFor(port)}`;
  });
  const ports = taken.length === 1 ? 'a port it needs is' : `${taken.length} ports it needs are`;
  return `Flowline cannot start: ${ports} taken.\n${lines.join('\n')}\nNothing was started.\n`;
}
