import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { status } from '@grpc/grpc-js';
import { RegistryChangeSchema, Topics } from '@flowline/contracts';
import { ConsumerRunner, createKafka, EnvelopeProducer, TopicNames } from '@flowline/messaging';
import { MetadataCache } from '@flowline/metadata-cache';
import { RegistryProto } from '@flowline/rpc';
import { startServiceForTest, testToken, type RunningService } from '@flowline/service-testing';
import { REPO_ROOT, testKafkaBrokers, testPrefix, waitFor, SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { REGISTRY_MAIN, registryClients } from '../../test/registry-clients';

const { DefinitionFormat, DefinitionState } = RegistryProto;
const YAML = DefinitionFormat.DEFINITION_FORMAT_YAML;
const JSON_FORMAT = DefinitionFormat.DEFINITION_FORMAT_JSON;
const example = (file: string) => readFileSync(path.join(REPO_ROOT, 'examples', file), 'utf8');
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe('process definitions over gRPC', () => {
  let registry: RunningService;
  const prefix = `${testPrefix('defs')}.`;
  beforeAll(async () => {
    registry = await startServiceForTest(REGISTRY_MAIN, { KAFKA_TOPIC_PREFIX: prefix });
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await registry.stop();
  });

  it('refuses an invalid definition on save with every error and its path, and stores nothing', async () => {
    const { definitions } = registryClients(registry, ['author']);
    const source = JSON.stringify({
      schemaVersion: 1,
      name: 'Broken',
      uniqueName: 'broken',
      category: 'workflow',
      primaryEntity: 'acount',
      steps: [
        { id: 'a', type: 'updateRecord', set: { creditlimit: 'lots' } },
        { id: 'a', type: 'stop' },
      ],
    });
    const failure = await definitions
      .saveDefinition({ source, format: JSON_FORMAT, id: '', expectedRowVersion: 0 })
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({
      grpcCode: status.INVALID_ARGUMENT,
      code: 'DEFINITION_INVALID',
      violations: [
        { field: '$.primaryEntity', description: "no entity 'acount'; did you mean 'account'?" },
        { field: '$.steps[1].id', description: "the step id 'a' is already used at $.steps[0]" },
      ],
    });
    const validated = await definitions.validateDefinition({ source, format: JSON_FORMAT });
    expect(validated.valid).toBe(false);
    expect(validated.violations.map((v) => v.field)).toEqual(['$.primaryEntity', '$.steps[1].id']);
    const syntax = await definitions
      .saveDefinition({ source: 'name: [', format: YAML, id: '', expectedRowVersion: 0 })
      .catch((error: unknown) => error);
    expect(syntax).toMatchObject({
      code: 'DEFINITION_INVALID',
      violations: [{ field: '$', description: expect.stringMatching(/^not valid YAML at line \d+, column \d+/) }],
    });
    const listed = await definitions.listDefinitions({
      page: { pageSize: 10, pageToken: '' },
      filterByCategory: false,
      category: 0,
      primaryEntity: '',
      filterByState: false,
      state: 0,
      nameContains: 'broken',
    });
    expect(listed.definitions).toEqual([]);
  });

  it('goes draft, activated (version 1), draft again with the version still resolvable, then version 2, and is announced to caches', async () => {
    const { definitions, subscriptions } = registryClients(registry, ['author']);
    // A cache fed by flowline.registry-changes.v1, as every service keeps one.
    const names = new TopicNames(prefix);
    const kafka = createKafka({ brokers: [testKafkaBrokers()], clientId: 'defs-cache' });
    const deadLetters = new EnvelopeProducer(kafka);
    await deadLetters.connect();
    const cache = new MetadataCache({
      registryAddress: registry.grpcAddress,
      token: () => testToken(['service']),
      refreshIntervalMs: 3_600_000,
    });
    await cache.start();
    const changes = new ConsumerRunner({
      kafka,
      groupId: names.group('defs-cache'),
      topics: [names.topic(Topics.registryChanges)],
      deadLetterTopic: names.topic(Topics.deadLetter),
      deadLetters,
      log: quiet,
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 500,
      handler: async (envelope) => cache.notifyChange(RegistryChangeSchema.parse(envelope.payload)),
    });
    await changes.start();
    try {
      const draft = await definitions.saveDefinition({
        source: example('account-onboarding.workflow.yaml'),
        format: YAML,
        id: '',
        expectedRowVersion: 0,
      });
      expect(draft).toMatchObject({
        uniqueName: 'account-onboarding',
        state: DefinitionState.DEFINITION_STATE_DRAFT,
        activeVersion: 0,
        createdBy: 'test-author',
        category: 0,
      });

      const v1 = await definitions.activateDefinition({ ref: { id: draft.id, uniqueName: '' } });
      expect(v1).toMatchObject({
        version: 1,
        uniqueName: 'account-onboarding',
        activatedBy: 'test-author',
        deactivatedOn: '',
        triggers: [{ message: 'Create', entity: 'account', attributes: [] }],
      });
      expect(v1.contentHash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.parse(v1.compiled)).toMatchObject({ contentHash: v1.contentHash, definition: { uniqueName: 'account-onboarding' } });
      await waitFor(() => cache.resolve('Create', 'account', []).workflows.some((w) => w.uniqueName === 'account-onboarding'), {
        timeoutMs: 1_000,
        intervalMs: 10,
        what: 'the cache to see the activation within a second',
      });
      const resolved = await subscriptions.resolveSubscriptions({ message: 'Create', entity: 'account', changedAttributes: [] });
      expect(resolved.workflows).toMatchObject([{ uniqueName: 'account-onboarding', version: 1, contentHash: v1.contentHash }]);

      await expect(
        definitions.saveDefinition({
          source: example('account-onboarding.workflow.yaml'),
          format: YAML,
          id: draft.id,
          expectedRowVersion: 0,
        }),
      ).rejects.toMatchObject({
        grpcCode: status.FAILED_PRECONDITION,
        code: 'DEFINITION_NOT_DRAFT',
      });
      await expect(definitions.deleteDefinition({ ref: { id: draft.id, uniqueName: '' } })).rejects.toMatchObject({
        grpcCode: status.FAILED_PRECONDITION,
      });

      const deactivated = await definitions.deactivateDefinition({ ref: { id: '', uniqueName: 'account-onboarding' } });
      expect(deactivated).toMatchObject({ state: DefinitionState.DEFINITION_STATE_DRAFT, activeVersion: 0, latestVersion: 1 });
      const kept = await definitions.getDefinitionVersion({ ref: { id: draft.id, uniqueName: '' }, version: 1 });
      expect(kept.contentHash).toBe(v1.contentHash);
      expect(kept.deactivatedOn).not.toBe('');
      await waitFor(() => cache.resolve('Create', 'account', []).workflows.length === 0, {
        timeoutMs: 1_000,
        intervalMs: 10,
        what: 'the cache to drop the deactivated workflow',
      });
      expect((await subscriptions.resolveSubscriptions({ message: 'Create', entity: 'account', changedAttributes: [] })).workflows).toEqual(
        [],
      );

      const edited = example('account-onboarding.workflow.yaml').replace('name: Account onboarding', 'name: Account onboarding (v2)');
      await definitions.saveDefinition({ source: edited, format: YAML, id: draft.id, expectedRowVersion: deactivated.rowVersion });
      const v2 = await definitions.activateDefinition({ ref: { id: draft.id, uniqueName: '' } });
      expect(v2.version).toBe(2);
      expect(v2.contentHash).not.toBe(v1.contentHash);
      await expect(definitions.activateDefinition({ ref: { id: draft.id, uniqueName: '' } })).rejects.toMatchObject({
        code: 'DEFINITION_NOT_DRAFT',
      });
      await expect(definitions.getDefinitionVersion({ ref: { id: draft.id, uniqueName: '' }, version: 7 })).rejects.toMatchObject({
        grpcCode: status.NOT_FOUND,
        code: 'DEFINITION_VERSION_NOT_FOUND',
      });
    } finally {
      await changes.stop();
      cache.stop();
      await deadLetters.disconnect();
    }
  });

  it('checks the children a parent starts on save, refusing each wrong one with INVALID_ARGUMENT at the path of its step', async () => {
    const { definitions } = registryClients(registry, ['author']);
    const save = (definition: Record<string, unknown>) =>
      definitions.saveDefinition({ source: JSON.stringify(definition), format: JSON_FORMAT, id: '', expectedRowVersion: 0 });
    const workflow = (uniqueName: string, extra: Record<string, unknown> = {}) => ({
      schemaVersion: 1,
      name: uniqueName,
      uniqueName,
      category: 'workflow',
      primaryEntity: 'account',
      steps: [{ id: 'done', type: 'stop' }],
      ...extra,
    });
    await save(workflow('child-ok', { availableAsChild: true, inputs: [{ name: 'reason', type: 'string', required: true }] }));
    await save(workflow('child-private'));
    await save(workflow('child-contact', { primaryEntity: 'contact', availableAsChild: true }));
    const parent = workflow('parent-of-many', {
      steps: [
        { id: 'unknown', type: 'startChild', workflow: 'child-nowhere' },
        {
          id: 'inner',
          type: 'condition',
          branches: [{ when: 'true', steps: [{ id: 'private', type: 'startChild', workflow: 'child-private' }] }],
        },
        { id: 'other-entity', type: 'startChild', workflow: 'child-contact' },
        { id: 'no-reason', type: 'startChild', workflow: 'child-ok', inputs: { why: 'x' } },
      ],
    });
    const failure = await save(parent).catch((error: unknown) => error);
    expect(failure).toMatchObject({ grpcCode: status.INVALID_ARGUMENT, code: 'DEFINITION_INVALID' });
    expect((failure as { violations: Array<{ field: string; code: string }> }).violations.map((v) => [v.field, v.code])).toEqual([
      ['$.steps[0].workflow', 'UNKNOWN_CHILD'],
      ['$.steps[1].branches[0].steps[0].workflow', 'NOT_AVAILABLE_AS_CHILD'],
      ['$.steps[2].workflow', 'CHILD_ENTITY_MISMATCH'],
      ['$.steps[3].inputs.why', 'UNKNOWN_CHILD_INPUT'],
      ['$.steps[3].inputs', 'CHILD_INPUT_REQUIRED'],
    ]);
    const validated = await definitions.validateDefinition({ source: JSON.stringify(parent), format: JSON_FORMAT });
    expect(validated.violations.map((v) => v.field)).toContain('$.steps[0].workflow');
    // A parent whose children are right saves.
    const good = await save(
      workflow('parent-of-one', {
        steps: [{ id: 'child', type: 'startChild', workflow: 'child-ok', inputs: { reason: 'x' }, wait: true }],
      }),
    );
    expect(good.uniqueName).toBe('parent-of-one');
  });

  it('exports by unique name and imports into another environment, activating what was imported', async () => {
    const { definitions } = registryClients(registry, ['author']);
    await definitions.saveDefinition({ source: example('case-escalation.workflow.yaml'), format: YAML, id: '', expectedRowVersion: 0 });
    await definitions.saveDefinition({ source: example('customer-survey.dialog.yaml'), format: YAML, id: '', expectedRowVersion: 0 });
    const exported = await definitions.exportDefinitions({ uniqueNames: ['case-escalation', 'customer-survey'], format: YAML });
    expect(exported.document).toContain('uniqueName: case-escalation');

    const other = await startServiceForTest(REGISTRY_MAIN, { KAFKA_TOPIC_PREFIX: `${testPrefix('defs-other')}.` });
    try {
      const target = registryClients(other, ['author']).definitions;
      const imported = await target.importDefinitions({ document: exported.document, format: YAML, activate: true });
      expect(imported.definitions.map((d) => [d.uniqueName, d.state, d.activeVersion])).toEqual([
        ['case-escalation', DefinitionState.DEFINITION_STATE_ACTIVATED, 1],
        ['customer-survey', DefinitionState.DEFINITION_STATE_ACTIVATED, 1],
      ]);
      const roundTrip = await target.exportDefinitions({ uniqueNames: ['case-escalation', 'customer-survey'], format: YAML });
      expect(roundTrip.document).toBe(exported.document);
      await expect(target.exportDefinitions({ uniqueNames: ['missing-one'], format: YAML })).rejects.toMatchObject({
        grpcCode: status.NOT_FOUND,
      });
    } finally {
      await other.stop();
    }
  });

  it('keeps an entity a definition uses from being deleted, naming the definition', async () => {
    const { entities, definitions } = registryClients(registry, ['admin']);
    const account = await entities.getEntity({ logicalName: 'account' });
    await entities.createEntity({
      entity: {
        ...account,
        logicalName: 'project',
        displayName: 'Project',
        attributes: account.attributes.filter((a) => ['accountid', 'name'].includes(a.logicalName)),
      },
    });
    const source = JSON.stringify({
      schemaVersion: 1,
      name: 'Project kickoff',
      uniqueName: 'project-kickoff',
      category: 'workflow',
      primaryEntity: 'project',
      triggers: [{ on: 'create' }],
      steps: [{ id: 'done', type: 'stop' }],
    });
    await definitions.saveDefinition({ source, format: JSON_FORMAT, id: '', expectedRowVersion: 0 });
    await expect(entities.deleteEntity({ logicalName: 'project' })).rejects.toMatchObject({
      grpcCode: status.FAILED_PRECONDITION,
      message: expect.stringContaining("entity 'project' is still used by definition project-kickoff"),
    });
  });

  it('lets only authors and admins change definitions', async () => {
    const asUser = registryClients(registry, ['user']).definitions;
    await expect(
      asUser.saveDefinition({ source: example('case-escalation.workflow.yaml'), format: YAML, id: '', expectedRowVersion: 0 }),
    ).rejects.toMatchObject({
      grpcCode: status.PERMISSION_DENIED,
    });
    const listed = await asUser.listDefinitions({
      page: { pageSize: 10, pageToken: '' },
      filterByCategory: true,
      category: 1,
      primaryEntity: '',
      filterByState: false,
      state: 0,
      nameContains: '',
    });
    expect(listed.definitions.map((d) => d.uniqueName)).toEqual(['customer-survey']);
  });
});
