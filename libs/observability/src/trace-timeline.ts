/**
 * Reads OTLP JSON trace exports (one `ExportTraceServiceRequest` per line, as FileSpanExporter
 * writes them) and renders one trace as a timeline: text for a terminal, or a small HTML page.
 * Pure: the caller reads the files.
 */

export interface TimelineSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  service: string;
  kind: number;
  startMs: number;
  endMs: number;
  attributes: Record<string, unknown>;
  links: Array<{ traceId: string; spanId: string }>;
  error: boolean;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes?: OtlpAttribute[];
  links?: Array<{ traceId: string; spanId: string }>;
  status?: { code?: number };
}
interface OtlpRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: Array<{ spans?: OtlpSpan[] }>;
  }>;
}

const valueOf = (value: OtlpValue): unknown =>
  value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : (value.doubleValue ?? value.boolValue));
const nanosToMs = (nanos: string | number): number => Number(BigInt(String(nanos)) / 1000n) / 1000;

/** Every span in the given OTLP JSON lines; lines that are not export requests are skipped. */
export function parseOtlpLines(text: string): TimelineSpan[] {
  const spans: TimelineSpan[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let request: OtlpRequest;
    try {
      request = JSON.parse(line) as OtlpRequest;
    } catch {
      continue;
    }
    for (const resource of request.resourceSpans ?? []) {
      const service = String(
        valueOf(resource.resource?.attributes?.find((a) => a.key === 'service.name')?.value ?? { stringValue: 'unknown' }),
      );
      for (const scope of resource.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          spans.push({
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId || undefined,
            name: span.name,
            service,
            kind: span.kind ?? 0,
            startMs: nanosToMs(span.startTimeUnixNano),
            endMs: nanosToMs(span.endTimeUnixNano),
            attributes: Object.fromEntries((span.attributes ?? []).map((a) => [a.key, valueOf(a.value)])),
            links: (span.links ?? []).map((link) => ({ traceId: link.traceId, spanId: link.spanId })),
            error: span.status?.code === 2,
          });
        }
      }
    }
  }
  return spans;
}

export interface TraceSummary {
  traceId: string;
  spans: number;
  services: string[];
  startMs: number;
  durationMs: number;
  root: string;
}

/** Traces in the spans, newest first. */
export function listTraces(spans: TimelineSpan[]): TraceSummary[] {
  const byTrace = new Map<string, TimelineSpan[]>();
  for (const span of spans) byTrace.set(span.traceId, [...(byTrace.get(span.traceId) ?? []), span]);
  return [...byTrace.entries()]
    .map(([traceId, members]) => {
      const start = Math.min(...members.map((s) => s.startMs));
      const end = Math.max(...members.map((s) => s.endMs));
      const ids = new Set(members.map((s) => s.spanId));
      const root = members.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId)).sort((a, b) => a.startMs - b.startMs)[0]!;
      return {
        traceId,
        spans: members.length,
        services: [...new Set(members.map((s) => s.service))].sort(),
        startMs: start,
        durationMs: end - start,
        root: `${root.service}: ${root.name}`,
      };
    })
    .sort((a, b) => b.startMs - a.startMs);
}

export interface TimelineRow {
  span: TimelineSpan;
  depth: number;
  offsetMs: number;
}

/** The spans of one trace in tree order (children after their parent, by start time). */
export function traceRows(spans: TimelineSpan[], traceId: string): TimelineRow[] {
  const members = spans.filter((s) => s.traceId === traceId);
  if (members.length === 0) return [];
  const start = Math.min(...members.map((s) => s.startMs));
  const ids = new Set(members.map((s) => s.spanId));
  const children = new Map<string | undefined, TimelineSpan[]>();
  for (const span of members) {
    const parent = span.parentSpanId && ids.has(span.parentSpanId) ? span.parentSpanId : undefined;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const rows: TimelineRow[] = [];
  const visit = (parent: string | undefined, depth: number) => {
    for (const span of (children.get(parent) ?? []).sort((a, b) => a.startMs - b.startMs)) {
      rows.push({ span, depth, offsetMs: span.startMs - start });
      visit(span.spanId, depth + 1);
    }
  };
  visit(undefined, 0);
  return rows;
}

/** OTLP span kinds: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
const KIND = ['', '', 'server', 'client', 'producer', 'consumer'];

/** A text timeline: offset, service, indented name, a bar on a fixed-width scale, duration. */
export function renderText(spans: TimelineSpan[], traceId: string, width = 40): string {
  const rows = traceRows(spans, traceId);
  if (rows.length === 0) return `no spans of trace ${traceId}`;
  const total = Math.max(...rows.map((r) => r.offsetMs + (r.span.endMs - r.span.startMs)), 0.001);
  const summary = listTraces(spans).find((t) => t.traceId === traceId)!;
  const nameWidth = Math.min(70, Math.max(...rows.map((r) => r.depth * 2 + r.span.name.length)));
  const serviceWidth = Math.max(...rows.map((r) => r.span.service.length));
  const lines = [
    `trace ${traceId}: ${rows.length} spans, ${total.toFixed(1)} ms, services ${summary.services.join(', ')}`,
    '',
    `${'start ms'.padStart(9)}  ${'service'.padEnd(serviceWidth)}  ${'span'.padEnd(nameWidth)}  ${'timeline'.padEnd(width)}  duration`,
  ];
  for (const { span, depth, offsetMs } of rows) {
    const duration = span.endMs - span.startMs;
    const from = Math.floor((offsetMs / total) * width);
    const length = Math.max(1, Math.round((duration / total) * width));
    const bar = `${' '.repeat(from)}${'█'.repeat(Math.min(length, width - from))}`.padEnd(width);
    const name = `${'  '.repeat(depth)}${span.name}`.slice(0, nameWidth).padEnd(nameWidth);
    const kind = KIND[span.kind] ? ` (${KIND[span.kind]})` : '';
    lines.push(
      `${offsetMs.toFixed(1).padStart(9)}  ${span.service.padEnd(serviceWidth)}  ${name}  ${bar}  ${duration.toFixed(1)} ms${kind}${span.error ? '  ERROR' : ''}`,
    );
  }
  return lines.join('\n');
}

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** A self-contained HTML page with the same timeline, span attributes shown on hover. */
export function renderHtml(spans: TimelineSpan[], traceId: string): string {
  const rows = traceRows(spans, traceId);
  const total = Math.max(...rows.map((r) => r.offsetMs + (r.span.endMs - r.span.startMs)), 0.001);
  const services = [...new Set(rows.map((r) => r.span.service))];
  const colours = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2'];
  const body = rows
    .map(({ span, depth, offsetMs }) => {
      const duration = span.endMs - span.startMs;
      const left = (offsetMs / total) * 100;
      const widthPct = Math.max(0.3, (duration / total) * 100);
      const title = escape(
        [
          `${span.service}: ${span.name}`,
          `${duration.toFixed(2)} ms`,
          ...Object.entries(span.attributes).map(([k, v]) => `${k} = ${String(v)}`),
        ].join('\n'),
      );
      const colour = span.error ? '#b91c1c' : colours[services.indexOf(span.service) % colours.length];
      return `<tr title="${title}"><td class="t">${offsetMs.toFixed(1)}</td><td>${escape(span.service)}</td><td style="padding-left:${depth}em">${escape(span.name)}</td><td class="bar"><span style="margin-left:${left.toFixed(2)}%;width:${widthPct.toFixed(2)}%;background:${colour}"></span></td><td class="t">${duration.toFixed(1)} ms</td></tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Trace ${traceId}</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5em;color:#111}
table{border-collapse:collapse;width:100%}
td,th{padding:2px 8px;border-bottom:1px solid #eee;white-space:nowrap;text-align:left}
td.t{text-align:right;font-variant-numeric:tabular-nums}
td.bar{width:45%}
td.bar span{display:block;height:12px;border-radius:2px}
tr:hover{background:#f3f4f6}
</style></head><body>
<h1>Trace ${traceId}</h1>
<p>${rows.length} spans, ${total.toFixed(1)} ms, services: ${services.map(escape).join(', ')}. Hover a row for its attributes.</p>
<table><thead><tr><th>start ms</th><th>service</th><th>span</th><th>timeline</th><th>duration</th></tr></thead>
<tbody>
${body}
</tbody></table></body></html>
`;
}
