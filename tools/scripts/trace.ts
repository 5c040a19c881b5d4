/**
 * Shows traces written by `npm start -- --traces` (OTLP JSON files, one per service, in
 * .data/traces) or any FLOWLINE_TRACE_FILE:
 *   npm run trace                       list the latest traces
 *   npm run trace -- <trace id>         one trace as a text timeline
 *   npm run trace -- <trace id> --html trace.html   the same as an HTML page
 *   npm run trace -- --dir <folder or file> ...     read traces elsewhere
 * A trace id may be given by its first characters.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { listTraces, parseOtlpLines, renderHtml, renderText } from '@flowline/observability';

function main(argv: string[]): number {
  let source = path.resolve(process.env['FLOWLINE_DATA_DIR'] ?? '.data', 'traces');
  let html: string | undefined;
  let id: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--dir') source = path.resolve(argv[++i] ?? '');
    else if (arg === '--html') html = argv[++i];
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        'usage: npm run trace -- [trace id] [--html out.html] [--dir folder-or-file]\n(traces come from `npm start -- --traces`, in .data/traces)\n',
      );
      return 0;
    } else id = arg;
  }
  if (!existsSync(source)) {
    process.stderr.write(`no traces at ${source}: start Flowline with \`npm start -- --traces\` (or pass --dir)\n`);
    return 1;
  }
  const files = statSync(source).isDirectory()
    ? readdirSync(source)
        .filter((f) => f.endsWith('.jsonl') || f.endsWith('.json'))
        .map((f) => path.join(source, f))
    : [source];
  const spans = files.flatMap((file) => parseOtlpLines(readFileSync(file, 'utf8')));
  const traces = listTraces(spans);
  if (!id) {
    if (traces.length === 0) {
      process.stdout.write(`no spans yet in ${source}\n`);
      return 0;
    }
    process.stdout.write(`${traces.length} traces in ${source}; the latest:\n\n`);
    for (const trace of traces.slice(0, 20)) {
      process.stdout.write(
        `${trace.traceId}  ${new Date(trace.startMs).toISOString()}  ${String(trace.spans).padStart(4)} spans  ${trace.durationMs.toFixed(0).padStart(6)} ms  ${trace.root}  [${trace.services.join(', ')}]\n`,
      );
    }
    process.stdout.write('\nshow one with: npm run trace -- <trace id> [--html trace.html]\n');
    return 0;
  }
  const matches = traces.filter((trace) => trace.traceId.startsWith(id!));
  if (matches.length !== 1) {
    process.stderr.write(
      matches.length === 0
        ? `no trace starts with ${id}: run \`npm run trace\` to list them\n`
        : `${id} matches ${matches.length} traces: give more characters\n`,
    );
    return 1;
  }
  const traceId = matches[0]!.traceId;
  if (html) {
    writeFileSync(html, renderHtml(spans, traceId));
    process.stdout.write(`wrote ${path.resolve(html)}: open it in a browser\n`);
  } else process.stdout.write(`${renderText(spans, traceId)}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
