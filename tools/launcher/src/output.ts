/**
 * What the launcher prints: each service's lines prefixed with its name in its own colour
 * (JSON log lines rendered as time, level and message), and the table of what runs where.
 */
const COLOURS = ['\u001b[36m', '\u001b[35m', '\u001b[33m', '\u001b[32m', '\u001b[34m', '\u001b[91m'];
const RESET = '\u001b[0m';
const LEVEL_COLOURS: Record<string, string> = { fatal: '\u001b[41m', error: '\u001b[31m', warn: '\u001b[33m' };
const HIDDEN_FIELDS = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname', 'context']);

export function colourFor(index: number, enabled: boolean): (text: string) => string {
  const colour = COLOURS[index % COLOURS.length]!;
  return enabled ? (text) => `${colour}${text}${RESET}` : (text) => text;
}

/** Turns one pino JSON line into `12:00:01 info  message key=value`; other lines pass as they are. */
export function renderLogLine(line: string, useColour: boolean): string {
  if (!line.startsWith('{')) return line;
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof record['time'] === 'string' ? record['time'].slice(11, 19) : '';
  const level = String(record['level'] ?? 'info');
  const levelText = useColour && LEVEL_COLOURS[level] ? `${LEVEL_COLOURS[level]}${level.padEnd(5)}${RESET}` : level.padEnd(5);
  const context = record['context'] ? `[${String(record['context'])}] ` : '';
  const extras = Object.entries(record)
    .filter(([key]) => !HIDDEN_FIELDS.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${time} ${levelText} ${context}${String(record['msg'] ?? '')}${extras ? ` ${extras}` : ''}`;
}

export interface TableRow {
  component: string;
  where: string;
  detail: string;
}

export function renderTable(rows: TableRow[]): string {
  const headers: TableRow = { component: 'component', where: 'where', detail: 'detail' };
  const all = [headers, ...rows];
  const width = (key: keyof TableRow) => Math.max(...all.map((row) => row[key].length));
  const line = (row: TableRow) => `  ${row.component.padEnd(width('component'))}  ${row.where.padEnd(width('where'))}  ${row.detail}`;
  const rule = `  ${'-'.repeat(width('component'))}  ${'-'.repeat(width('where'))}  ${'-'.repeat(width('detail'))}`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

/** The REST resources of each service, by service name (see each service's /openapi.json). */
export const REST_RESOURCES: Record<string, string[]> = {
  'event-gateway': ['/api/v1/records/{entity}', '/api/v1/messages/{message}'],
  'process-registry': ['/api/v1/definitions', '/api/v1/steps', '/api/v1/entities'],
  'async-executor': ['/api/v1/operations', '/api/v1/workflows/{definition}/start', '/api/v1/dead-letters'],
  'session-service': ['/api/v1/sessions', '/dialogs/{dialog}/run'],
};

/** One line per service: where its REST API and its OpenAPI document are. */
export function renderRestApis(services: ReadonlyArray<{ name: string; url: string }>): string {
  const width = Math.max(...services.map((service) => service.name.length));
  return services
    .filter((service) => REST_RESOURCES[service.name])
    .map((service) => `    ${service.name.padEnd(width)}  ${service.url}/openapi.json  ${REST_RESOURCES[service.name]!.join('  ')}`)
    .join('\n');
}
