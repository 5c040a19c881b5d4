/**
 * SaveDefinition refuses what the language's limits and text checks refuse with
 * INVALID_ARGUMENT and the path (it answered INTERNAL for these), and keeps serving.
 */
import { status } from '@grpc/grpc-js';
import { RegistryProto } from '@flowline/rpc';
import { startServiceForTest, type RunningService } from '@flowline/service-testing';
import { testPrefix, SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { REGISTRY_MAIN, registryClients } from '../../test/registry-clients';

const { DefinitionFormat } = RegistryProto;
const JSON_FORMAT = DefinitionFormat.DEFINITION_FORMAT_JSON;
const YAML = DefinitionFormat.DEFINITION_FORMAT_YAML;

const base = { schemaVersion: 1, name: 'Limits', uniqueName: 'limits-flow', category: 'workflow', primaryEntity: 'account' };

function nestedConditions(levels: number): Record<string, unknown> {
  let steps: unknown[] = [{ id: 'leaf', type: 'updateRecord', set: { name: 'x' } }];
  for (let level = levels; level > 0; level--) steps = [{ id: `c${level}`, type: 'condition', branches: [{ when: 'true', steps }] }];
  return { ...base, steps };
}

interface Failure {
  grpcCode: number;
  code: string;
  violations: Array<{ field: string; description: string; code: string }>;
}

describe('SaveDefinition within the limits of the language', () => {
  let registry: RunningService;
  beforeAll(async () => {
    registry = await startServiceForTest(REGISTRY_MAIN, { KAFKA_TOPIC_PREFIX: `${testPrefix('limits')}.` });
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await registry.stop();
  });

  const save = async (source: string, format = JSON_FORMAT) => {
    const { definitions } = registryClients(registry, ['author']);
    return (await definitions
      .saveDefinition({ source, format, id: '', expectedRowVersion: 0 })
      .catch((error: unknown) => error)) as Failure;
  };

  it('refuses conditions nested 700 deep with INVALID_ARGUMENT TOO_DEEP at the path, not INTERNAL', async () => {
    const failure = await save(JSON.stringify(nestedConditions(700)));
    expect(failure).toMatchObject({ grpcCode: status.INVALID_ARGUMENT, code: 'DEFINITION_INVALID' });
    expect(failure.violations).toHaveLength(1);
    expect(failure.violations[0]).toMatchObject({
      code: 'TOO_DEEP',
      field: expect.stringMatching(/^\$\.steps\[0\]\.branches\[0\]\.steps/),
    });
  });

  it('refuses a NUL in the name at $.name', async () => {
    const failure = await save(JSON.stringify({ ...nestedConditions(1), name: 'Bad\u0000name' }));
    expect(failure).toMatchObject({
      grpcCode: status.INVALID_ARGUMENT,
      violations: [
        { field: '$.name', code: 'BAD_CHARACTER', description: 'the text holds a NUL character (\\u0000) at position 3: remove it' },
      ],
    });
  });

  it('refuses a lone surrogate in a value at its path', async () => {
    const definition = nestedConditions(0);
    definition['steps'] = [{ id: 'leaf', type: 'updateRecord', set: { name: 'a\ud800' } }];
    // JSON.stringify escapes the lone surrogate as \ud800, which is how a client sends it.
    const failure = await save(JSON.stringify(definition));
    expect(failure).toMatchObject({
      grpcCode: status.INVALID_ARGUMENT,
      violations: [{ field: '$.steps[0].set.name', code: 'BAD_CHARACTER' }],
    });
  });

  it('refuses a YAML alias bomb with INVALID_ARGUMENT', async () => {
    const lines = ['schemaVersion: 1', 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i <= 9; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 9 }, () => `*a${i - 1}`).join(', ')}]`);
    const failure = await save(lines.join('\n'), YAML);
    expect(failure).toMatchObject({ grpcCode: status.INVALID_ARGUMENT, code: 'DEFINITION_INVALID' });
    expect(failure.violations[0]!.code).toMatch(/^(TOO_MANY_ALIASES|ALIAS_EXPANSION)$/);
  });

  it('still saves a definition within the limits afterwards', async () => {
    const { definitions } = registryClients(registry, ['author']);
    const saved = await definitions.saveDefinition({
      source: JSON.stringify(nestedConditions(10)),
      format: JSON_FORMAT,
      id: '',
      expectedRowVersion: 0,
    });
    expect(saved.uniqueName).toBe('limits-flow');
  });

  it('refuses an import document holding a NUL with the path inside the document', async () => {
    const { definitions } = registryClients(registry, ['author']);
    const document = JSON.stringify({
      flowlineExport: 1,
      definitions: [{ ...nestedConditions(1), uniqueName: 'imported', description: 'x\u0000' }],
    });
    const failure = (await definitions
      .importDefinitions({ document, format: JSON_FORMAT, activate: false })
      .catch((error: unknown) => error)) as Failure;
    expect(failure).toMatchObject({
      grpcCode: status.INVALID_ARGUMENT,
      violations: [{ field: '$.definitions[0].description', code: 'BAD_CHARACTER' }],
    });
  });
});
