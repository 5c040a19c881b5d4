import { listTraces, parseOtlpLines, renderHtml, renderText, traceRows } from './trace-timeline';

const attr = (key: string, value: string) => ({ key, value: { stringValue: value } });
const span = (spanId: string, parentSpanId: string, name: string, startMs: number, endMs: number, extra: object = {}) => ({
  traceId: 'aa'.repeat(16),
  spanId,
  parentSpanId,
  name,
  kind: 2,
  startTimeUnixNano: String(BigInt(startMs) * 1_000_000n),
  endTimeUnixNano: String(BigInt(endMs) * 1_000_000n),
  attributes: [attr('flowline.step', name)],
  ...extra,
});
const line = (service: string, spans: object[]) =>
  JSON.stringify({ resourceSpans: [{ resource: { attributes: [attr('service.name', service)] }, scopeSpans: [{ spans }] }] });

const text = [
  line('event-gateway', [span('01', '', 'Execute', 1000, 1100), span('02', '01', 'send pipeline-events', 1050, 1060)]),
  'not json',
  line('async-executor', [
    span('03', '02', 'process pipeline-events', 1070, 1090),
    span('04', '03', 'run onboarding', 1080, 1400, { status: { code: 2 } }),
  ]),
].join('\n');

describe('trace timeline', () => {
  const spans = parseOtlpLines(text);

  it('reads OTLP JSON lines across services, skipping what is not an export', () => {
    expect(spans).toHaveLength(4);
    expect(spans.map((s) => s.service)).toEqual(['event-gateway', 'event-gateway', 'async-executor', 'async-executor']);
    expect(spans[3]).toMatchObject({
      name: 'run onboarding',
      startMs: 1080,
      endMs: 1400,
      error: true,
      attributes: { 'flowline.step': 'run onboarding' },
    });
  });

  it('orders one trace as a tree across services', () => {
    expect(listTraces(spans)).toEqual([
      {
        traceId: 'aa'.repeat(16),
        spans: 4,
        services: ['async-executor', 'event-gateway'],
        startMs: 1000,
        durationMs: 400,
        root: 'event-gateway: Execute',
      },
    ]);
    expect(traceRows(spans, 'aa'.repeat(16)).map((r) => [r.span.name, r.depth, r.offsetMs])).toEqual([
      ['Execute', 0, 0],
      ['send pipeline-events', 1, 50],
      ['process pipeline-events', 2, 70],
      ['run onboarding', 3, 80],
    ]);
  });

  it('renders text and HTML timelines', () => {
    const rendered = renderText(spans, 'aa'.repeat(16), 20).split('\n');
    expect(rendered[0]).toBe(`trace ${'aa'.repeat(16)}: 4 spans, 400.0 ms, services async-executor, event-gateway`);
    expect(rendered.at(-1)).toMatch(/^\s+80\.0 {2}async-executor {2}\s{6}run onboarding\s+ {4}█{16}\s+320\.0 ms \(server\) {2}ERROR$/);
    expect(renderText(spans, 'bb')).toBe('no spans of trace bb');
    const html = renderHtml(spans, 'aa'.repeat(16));
    expect(html).toContain('<title>Trace aaaa');
    expect(html).toContain('run onboarding');
    expect(html).toContain('flowline.step = Execute');
  });
});
