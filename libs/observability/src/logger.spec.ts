import { Writable } from 'node:stream';
import { context, trace, ROOT_CONTEXT, type Span } from '@opentelemetry/api';
import { createLogger, NestPinoLogger } from './logger';

function capture(): { lines: Array<Record<string, unknown>>; stream: Writable } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('writes one JSON object per line with the service name, level label and message', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ serviceName: 'event-gateway', destination: stream });
    logger.info({ operationId: 'op-1' }, 'claimed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ service: 'event-gateway', level: 'info', msg: 'claimed', operationId: 'op-1' });
    expect(typeof lines[0]!['time']).toBe('string');
  });

  it('drops lines below the configured level', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ serviceName: 's', level: 'warn', destination: stream });
    logger.info('hidden');
    logger.warn('shown');
    expect(lines.map((line) => line['msg'])).toEqual(['shown']);
  });

  it('adds the trace and span ids of the active span', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ serviceName: 's', destination: stream });
    const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };
    const span: Span = trace.wrapSpanContext(spanContext);
    // Without a registered context manager `with` does not propagate, so read the span directly.
    const active = trace.setSpan(ROOT_CONTEXT, span);
    jest.spyOn(trace, 'getActiveSpan').mockReturnValue(trace.getSpan(active));
    context.with(active, () => logger.info('inside'));
    expect(lines[0]).toMatchObject({ traceId: spanContext.traceId, spanId: spanContext.spanId });
  });
});

describe('NestPinoLogger', () => {
  it('keeps Nest context as a field and errors with their stack', () => {
    const { lines, stream } = capture();
    const nest = new NestPinoLogger(createLogger({ serviceName: 's', destination: stream }));
    nest.log('Mapped route', 'RouterExplorer');
    nest.error(new Error('boom'));
    expect(lines[0]).toMatchObject({ msg: 'Mapped route', context: 'RouterExplorer', level: 'info' });
    expect(lines[1]).toMatchObject({ level: 'error', msg: 'boom' });
    expect((lines[1]!['err'] as { stack: string }).stack).toContain('Error: boom');
  });

  it('builds nothing for a line below the level: its fields are not even read', () => {
    const { lines, stream } = capture();
    const nest = new NestPinoLogger(createLogger({ serviceName: 's', level: 'info', destination: stream }));
    const fields = {
      get operationId(): string {
        throw new Error('a debug line below the level was built');
      },
    };
    nest.debug(fields, 'executed', 'Pipeline');
    nest.log({ operationId: 'op-2' }, 'shown', 'Pipeline');
    expect(lines.map((line) => [line['level'], line['msg'], line['operationId']])).toEqual([['info', 'shown', 'op-2']]);
  });

  it('keeps the text given after the fields as the message (a Nest Logger with a context)', () => {
    const { lines, stream } = capture();
    const nest = new NestPinoLogger(createLogger({ serviceName: 's', destination: stream }));
    nest.warn({ operationId: 'o1', attempt: 2 }, 'attempt 2 failed; next attempt in 4 s', 'Worker');
    expect(lines[0]).toMatchObject({ msg: 'attempt 2 failed; next attempt in 4 s', context: 'Worker', operationId: 'o1', attempt: 2 });
  });
});
