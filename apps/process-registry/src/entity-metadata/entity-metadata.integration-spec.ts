import { status } from '@grpc/grpc-js';
import { RegistryProto } from '@flowline/rpc';
import { startServiceForTest, type RunningService } from '@flowline/service-testing';
import { REGISTRY_MAIN, registryClients } from '../../test/registry-clients';
import { SERVICE_START_TIMEOUT_MS } from '@flowline/testing';

const { AttributeType, OwnershipType } = RegistryProto;

const attribute = (
  logicalName: string,
  type: RegistryProto.AttributeType,
  extra: Partial<RegistryProto.Attribute> = {},
): RegistryProto.Attribute => ({
  logicalName,
  displayName: logicalName,
  type,
  required: false,
  maxLength: 0,
  precision: 0,
  minValue: 0,
  maxValue: 0,
  hasMinValue: false,
  hasMaxValue: false,
  options: [],
  targets: [],
  isCustom: true,
  ...extra,
});

const project = (): RegistryProto.Entity => ({
  logicalName: 'project',
  displayName: 'Project',
  primaryIdAttribute: 'projectid',
  primaryNameAttribute: 'name',
  ownership: OwnershipType.OWNERSHIP_TYPE_USER_OWNED,
  attributes: [
    attribute('projectid', AttributeType.ATTRIBUTE_TYPE_UNIQUEIDENTIFIER),
    attribute('name', AttributeType.ATTRIBUTE_TYPE_STRING, { maxLength: 200 }),
    attribute('budget', AttributeType.ATTRIBUTE_TYPE_MONEY, { precision: 2, hasMinValue: true }),
    attribute('accountid', AttributeType.ATTRIBUTE_TYPE_LOOKUP, { targets: ['account'] }),
  ],
  isCustom: true,
  version: 0,
  modifiedOn: '',
});

describe('entity metadata over gRPC', () => {
  let registry: RunningService;
  beforeAll(async () => {
    registry = await startServiceForTest(REGISTRY_MAIN);
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await registry.stop();
  });

  it('starts with the default entities seeded by a migration', async () => {
    const { entities } = registryClients(registry, ['author']);
    const listed = await entities.listEntities({ page: { pageSize: 100, pageToken: '' } });
    expect(listed.entities.map((entity) => entity.logicalName)).toEqual([
      'account',
      'businessunit',
      'contact',
      'email',
      'incident',
      'lead',
      'opportunity',
      'systemuser',
      'task',
      'team',
    ]);
    const account = await entities.getEntity({ logicalName: 'account' });
    expect(account.primaryIdAttribute).toBe('accountid');
    expect(account.attributes.find((a) => a.logicalName === 'creditlimit')).toMatchObject({
      type: AttributeType.ATTRIBUTE_TYPE_MONEY,
      precision: 2,
      isCustom: false,
    });
  });

  it('creates, pages, updates with a version check, and deletes a custom entity', async () => {
    const { entities } = registryClients(registry);
    const created = await entities.createEntity({ entity: project() });
    expect(created).toMatchObject({ logicalName: 'project', version: 1, isCustom: true });
    expect(created.attributes.find((a) => a.logicalName === 'budget')).toMatchObject({ precision: 2, hasMinValue: true, minValue: 0 });

    const first = await entities.listEntities({ page: { pageSize: 4, pageToken: '' } });
    expect(first.page).toMatchObject({ totalCount: 11 });
    const second = await entities.listEntities({ page: { pageSize: 4, pageToken: first.page!.nextPageToken } });
    const third = await entities.listEntities({ page: { pageSize: 4, pageToken: second.page!.nextPageToken } });
    expect([...first.entities, ...second.entities, ...third.entities].map((e) => e.logicalName)).toContain('project');
    expect(third.page!.nextPageToken).toBe('');

    const changed = {
      ...project(),
      displayName: 'Customer Project',
      attributes: [...project().attributes, attribute('startdate', AttributeType.ATTRIBUTE_TYPE_DATETIME)],
    };
    const updated = await entities.updateEntity({ entity: changed, expectedVersion: 1 });
    expect(updated).toMatchObject({ displayName: 'Customer Project', version: 2 });
    await expect(entities.updateEntity({ entity: changed, expectedVersion: 1 })).rejects.toMatchObject({
      grpcCode: status.ABORTED,
      code: 'ENTITY_VERSION_CONFLICT',
      message: expect.stringContaining("entity 'project' is at version 2, not 1: read it again and reapply your change"),
    });

    await entities.deleteEntity({ logicalName: 'project' });
    await expect(entities.getEntity({ logicalName: 'project' })).rejects.toMatchObject({
      grpcCode: status.NOT_FOUND,
      code: 'ENTITY_NOT_FOUND',
    });
  });

  it('refuses invalid metadata with every field violation and writes nothing', async () => {
    const { entities } = registryClients(registry);
    const bad = {
      ...project(),
      logicalName: 'widget',
      primaryNameAttribute: 'title',
      attributes: [...project().attributes, attribute('vendorid', AttributeType.ATTRIBUTE_TYPE_LOOKUP, { targets: ['vendor'] })],
    };
    const failure = await entities.createEntity({ entity: bad }).catch((error: unknown) => error);
    expect(failure).toMatchObject({
      grpcCode: status.INVALID_ARGUMENT,
      code: 'ENTITY_INVALID',
      violations: [
        { field: 'entity.attributes[4].targets[0]', description: "no entity 'vendor' exists", code: 'UNKNOWN_ENTITY' },
        { field: 'entity.primaryNameAttribute', description: "no attribute 'title' among the attributes", code: 'PRIMARY_NAME_INVALID' },
      ],
    });
    await expect(entities.getEntity({ logicalName: 'widget' })).rejects.toMatchObject({ grpcCode: status.NOT_FOUND });
  });

  it('refuses a duplicate entity and the deletion of a standard or referenced one, naming who uses it', async () => {
    const { entities } = registryClients(registry);
    await entities.createEntity({ entity: { ...project(), logicalName: 'vendor' } });
    await entities.createEntity({
      entity: {
        ...project(),
        logicalName: 'purchase',
        attributes: [...project().attributes, attribute('vendorid', AttributeType.ATTRIBUTE_TYPE_LOOKUP, { targets: ['vendor'] })],
      },
    });
    await expect(entities.createEntity({ entity: { ...project(), logicalName: 'vendor' } })).rejects.toMatchObject({
      grpcCode: status.ALREADY_EXISTS,
      code: 'ENTITY_EXISTS',
    });
    await expect(entities.deleteEntity({ logicalName: 'vendor' })).rejects.toMatchObject({
      grpcCode: status.FAILED_PRECONDITION,
      code: 'ENTITY_IN_USE',
      message: expect.stringContaining("entity 'vendor' is still used by lookup purchase.vendorid"),
    });
    await expect(entities.deleteEntity({ logicalName: 'account' })).rejects.toMatchObject({
      grpcCode: status.FAILED_PRECONDITION,
      code: 'ENTITY_STANDARD',
    });
  });

  it('lets only admins change metadata and refuses calls without a valid token', async () => {
    const asAuthor = registryClients(registry, ['author']);
    await expect(asAuthor.entities.createEntity({ entity: { ...project(), logicalName: 'authored' } })).rejects.toMatchObject({
      grpcCode: status.PERMISSION_DENIED,
      message: expect.stringContaining('this call needs the role admin; test-author has author'),
    });
    const anonymous = registryClients(registry, null);
    await expect(anonymous.entities.getEntity({ logicalName: 'account' })).rejects.toMatchObject({
      grpcCode: status.UNAUTHENTICATED,
      message: expect.stringContaining('no credentials: send `authorization: Bearer <token>`'),
    });
  });
});
