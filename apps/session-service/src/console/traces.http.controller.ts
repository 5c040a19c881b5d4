/** The console's trace timeline (traces.http.routes.ts): spans read from the services' OTLP JSON trace files. */
import { createReadStream, existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { Controller, Get, Inject, Param } from '@nestjs/common';
import { Roles } from '@flowline/auth';
import { parseOtlpLines, traceRows } from '@flowline/observability';
import { RequireRoles } from '@flowline/service-kit';
import { CONSOLE_SETTINGS, type ConsoleSettings } from './console.settings';
import { TraceRoutes as R } from './traces.http.routes';

/** OTLP span kinds: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
const KIND = ['', '', 'server', 'client', 'producer', 'consumer'];
/** A trace has at most this many spans on the page. */
const MAX_SPANS = 500;

@Controller('api/v1/traces')
export class TracesHttpController {
  constructor(@Inject(CONSOLE_SETTINGS) private readonly settings: ConsoleSettings) {}

  @Get(':traceId')
  @RequireRoles(Roles.operator)
  async getTrace(@Param() params: Record<string, string>): Promise<unknown> {
    const { traceId } = R.get.parseParams(params);
    const directory = this.settings.traceDirectory;
    const link = this.settings.traceUrl ? this.settings.traceUrl.replaceAll('{traceId}', traceId) : '';
    if (!directory) return { traceId, kept: false, link, spans: [] };
    const spans = parseOtlpLines((await this.linesOf(directory, traceId)).join('\n'));
    const rows = traceRows(spans, traceId).slice(0, MAX_SPANS);
    return {
      traceId,
      kept: true,
      link,
      spans: rows.map(({ span, depth, offsetMs }) => ({
        service: span.service,
        name: span.name,
        kind: KIND[span.kind] ?? '',
        depth,
        offsetMs,
        durationMs: span.endMs - span.startMs,
        error: span.error,
      })),
    };
  }

  /** The export lines of every trace file that mention the trace (each line is one export request). */
  private async linesOf(directory: string, traceId: string): Promise<string[]> {
    if (!existsSync(directory)) return [];
    const found: string[] = [];
    for (const file of readdirSync(directory).filter((name) => name.endsWith('.jsonl') || name.endsWith('.json'))) {
      const lines = createInterface({ input: createReadStream(path.join(directory, file), 'utf8'), crlfDelay: Infinity });
      for await (const line of lines) if (line.includes(traceId)) found.push(line);
    }
    return found;
  }
}
