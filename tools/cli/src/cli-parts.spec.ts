/** The CLI's pure parts: where a violation's path is in a file, deploy order, metrics text, where settings come from. */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { deployOrder, lineOf, pathSegments, type DefinitionFile } from './definition-files';
import { metricSamples } from './commands/status';
import { resolveConfig } from './config';
import { CliError } from './errors';

const yaml = `schemaVersion: 1
uniqueName: x
steps:
  - id: first
    type: stop
  - id: second
    type: notAStep
`;

describe('lineOf', () => {
  it('finds the line of a JSON path in YAML and JSON, and of its nearest existing parent', () => {
    expect(pathSegments('$.steps[1].type')).toEqual(['steps', 1, 'type']);
    expect(lineOf(yaml, '$.steps[1].type')).toBe(7);
    expect(lineOf(yaml, '$.steps[1]')).toBe(6);
    expect(lineOf(yaml, '$.steps[1].missing')).toBe(6);
    expect(lineOf(yaml, '$.uniqueName')).toBe(2);
    const json = JSON.stringify({ schemaVersion: 1, steps: [{ id: 'a' }, { id: 'b', type: 'nope' }] }, null, 2);
    expect(json.split('\n')[lineOf(json, '$.steps[1].type')! - 1]).toContain('"type": "nope"');
  });

  it('takes the line a syntax error names', () => {
    expect(lineOf('a: [', '$', 'not valid YAML at line 1, column 5: ...')).toBe(1);
    expect(lineOf('a: [', '$.x')).toBeUndefined();
  });
});

describe('deployOrder', () => {
  const file = (name: string, children: string[] = []): DefinitionFile => ({ file: `${name}.yaml`, format: 'yaml', source: '', value: {}, uniqueName: name, contentHash: '', children });
  it('puts the definitions a definition starts before it, and keeps the files order otherwise', () => {
    expect(deployOrder([file('parent', ['child']), file('other'), file('child')]).map((f) => f.uniqueName)).toEqual(['child', 'parent', 'other']);
    expect(deployOrder([file('a', ['b']), file('b', ['a'])]).map((f) => f.uniqueName)).toEqual(['b', 'a']);
  });
});

describe('metricSamples', () => {
  it('reads the samples of one metric with their labels, not of metrics whose names start alike', () => {
    const text = [
      '# HELP flowline_consumer_lag messages behind',
      'flowline_consumer_lag{group="g1",topic="t1"} 3',
      'flowline_consumer_lag{group="g2",topic="t2"} 4',
      'flowline_consumer_lag_total 99',
      'flowline_executor_ready_queue_depth 7',
    ].join('\n');
    expect(metricSamples(text, 'flowline_consumer_lag')).toEqual([
      { labels: { group: 'g1', topic: 't1' }, value: 3 },
      { labels: { group: 'g2', topic: 't2' }, value: 4 },
    ]);
    expect(metricSamples(text, 'flowline_executor_ready_queue_depth')).toEqual([{ labels: {}, value: 7 }]);
  });
});

describe('resolveConfig', () => {
  let dir = '';
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'flowline-config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes flags over the environment over the config file over the defaults', () => {
    const file = path.join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ token: 'from-file', services: { registry: { url: 'http://file:1' }, gateway: { grpc: 'file:2' } } }));
    const env = { FLOWLINE_CONFIG: file, FLOWLINE_GATEWAY_GRPC: 'env:3' };
    const fromFile = resolveConfig({}, env, dir);
    expect(fromFile.token).toBe('from-file');
    expect(fromFile.services.registry.url).toBe('http://file:1');
    expect(fromFile.services.gateway.grpc).toBe('env:3');
    expect(fromFile.services.executor).toEqual({ url: 'http://127.0.0.1:8082', grpc: '127.0.0.1:50053' });
    const flagged = resolveConfig({ registryUrl: 'http://flag:4/', token: 'from-flag' }, { ...env, FLOWLINE_TOKEN: 'from-env' }, dir);
    expect(flagged.services.registry.url).toBe('http://flag:4');
    expect(flagged.token).toBe('from-flag');
    expect(resolveConfig({}, { ...env, FLOWLINE_TOKEN: 'from-env' }, dir).token).toBe('from-env');
  });

  it("falls back to npm start's .data/admin-token, and refuses a config file that is named but missing", () => {
    mkdirSync(path.join(dir, '.data'));
    writeFileSync(path.join(dir, '.data', 'admin-token'), 'dev-token\n');
    expect(resolveConfig({}, { XDG_CONFIG_HOME: dir }, dir).token).toBe('dev-token');
    expect(() => resolveConfig({ config: path.join(dir, 'nope.json') }, {}, dir)).toThrow(CliError);
  });
});
