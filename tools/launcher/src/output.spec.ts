import { renderLogLine, renderRestApis, renderTable } from './output';

describe('renderLogLine', () => {
  it('shows time, level, context, message and the remaining fields of a JSON log line', () => {
    const line = JSON.stringify({
      level: 'warn',
      time: '2026-11-25T10:11:12.000Z',
      service: 's',
      pid: 1,
      context: 'Db',
      msg: 'slow',
      ms: 120,
    });
    expect(renderLogLine(line, false)).toBe('10:11:12 warn  [Db] slow ms=120');
  });

  it('passes other lines through unchanged', () => {
    expect(renderLogLine('plain text', false)).toBe('plain text');
    expect(renderLogLine('{not json', false)).toBe('{not json');
  });
});

describe('renderTable', () => {
  it('aligns columns under a header and a rule', () => {
    expect(renderTable([{ component: 'db', where: 'postgres://x', detail: 'embedded' }])).toBe(
      ['  component  where         detail', '  ---------  ------------  --------', '  db         postgres://x  embedded'].join('\n'),
    );
  });
});

describe('renderRestApis', () => {
  it("prints each service's OpenAPI document and REST resources, the registry's among them", () => {
    const text = renderRestApis([
      { name: 'event-gateway', url: 'http://127.0.0.1:8080' },
      { name: 'process-registry', url: 'http://127.0.0.1:8081' },
      { name: 'async-executor-2', url: 'http://127.0.0.1:8092' },
    ]);
    expect(text.split('\n')).toEqual([
      '    event-gateway     http://127.0.0.1:8080/openapi.json  /api/v1/records/{entity}  /api/v1/messages/{message}',
      '    process-registry  http://127.0.0.1:8081/openapi.json  /api/v1/definitions  /api/v1/steps  /api/v1/entities',
    ]);
  });
});
