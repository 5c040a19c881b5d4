import { status } from '@grpc/grpc-js';
import { GatewayProto, ProtoFiles, type PromiseClient } from '@flowline/rpc';
import { startGateway, type GatewayHarness } from '../../test/gateway-harness';

/** Relative updates (increment, decrement, multiply, append) applied by the gateway inside its transaction. */
describe('relative updates', () => {
  let harness: GatewayHarness;
  let execute: PromiseClient<GatewayProto.ExecuteServiceClient>;
  beforeAll(async () => {
    harness = await startGateway();
    execute = harness.gateway.client<PromiseClient<GatewayProto.ExecuteServiceClient>>(
      ProtoFiles.gateway,
      'flowline.gateway.v1.ExecuteService',
      ['service'],
    );
  });
  afterAll(async () => {
    await harness.stop();
  });

  const request = (overrides: Partial<GatewayProto.ExecuteRequest>): GatewayProto.ExecuteRequest => ({
    message: 'Update',
    entity: 'account',
    id: '',
    targetJson: '',
    parametersJson: '',
    expectedVersion: 0,
    idempotencyKey: '',
    depth: 2,
    correlationId: '',
    columns: [],
    operationsJson: '',
    ...overrides,
  });

  async function account(body: Record<string, unknown> = {}): Promise<string> {
    const created = await harness.call('POST', '/api/v1/records/account', { name: 'Counter', ...body });
    expect(created.status).toBe(201);
    return String(created.body['id']);
  }

  it('applies consecutive updates each on what the one before wrote: +1, +10, +100, +1000 give 1111, appends give ABD', async () => {
    const id = await account();
    let last: GatewayProto.ExecuteResponse | undefined;
    for (const [by, letter] of [
      [1, 'A'],
      [10, 'B'],
      [100, ''],
      [1000, 'D'],
    ] as const) {
      last = await execute.execute(
        request({
          id,
          operationsJson: JSON.stringify({
            numberofemployees: { op: 'increment', value: by },
            description: { op: 'append', value: letter },
          }),
        }),
      );
    }
    expect(JSON.parse(last!.recordJson)).toMatchObject({ numberofemployees: 1111, description: 'ABD', versionnumber: 5 });
    const stored = await harness.call('GET', `/api/v1/records/account/${id}`);
    expect(stored.body['record']).toMatchObject({ numberofemployees: 1111, description: 'ABD' });
    const event = (await harness.outbox()).find((row) => row.envelope.id === last!.eventId)!;
    expect(event.envelope.payload).toMatchObject({
      target: { numberofemployees: 1111, description: 'ABD' },
      preImage: { numberofemployees: 111, description: 'AB' },
      postImage: { numberofemployees: 1111, description: 'ABD' },
      changedAttributes: ['description', 'numberofemployees'],
    });
  });

  it('never loses a change when several clients increment one record at once: the exact sum', async () => {
    const id = await account({ numberofemployees: 5 });
    const clients = 6;
    const each = 8;
    await Promise.all(
      Array.from({ length: clients }, async (_, client) => {
        for (let i = 0; i < each; i++) {
          if (client % 2 === 0) {
            await execute.execute(
              request({ id, operationsJson: JSON.stringify({ numberofemployees: { op: 'increment', value: client + 1 } }) }),
            );
          } else {
            const patched = await harness.call('PATCH', `/api/v1/records/account/${id}`, {
              $operations: { numberofemployees: { op: 'increment', value: client + 1 } },
            });
            expect(patched.status).toBe(200);
          }
        }
      }),
    );
    const expected = 5 + each * Array.from({ length: clients }, (_, client) => client + 1).reduce((a, b) => a + b, 0);
    const stored = await harness.call('GET', `/api/v1/records/account/${id}`);
    expect(stored.body['record']).toMatchObject({ numberofemployees: expected, versionnumber: 1 + clients * each });
  });

  it('decrements and multiplies, rounds money to its precision, counts a missing value as 0 and sets plain values beside', async () => {
    const id = await account({ creditlimit: 0.1, revenue: 10 });
    const updated = await harness.call('POST', '/api/v1/messages/Update', {
      entity: 'account',
      id,
      target: { name: 'Counter renamed' },
      operations: { creditlimit: { op: 'increment', value: 0.2 }, revenue: { op: 'decrement', value: 4 } },
    });
    expect(updated.status).toBe(200);
    expect(updated.body['record']).toMatchObject({ name: 'Counter renamed', creditlimit: 0.3, revenue: 6 });
    const multiplied = await harness.call('PATCH', `/api/v1/records/account/${id}`, {
      $operations: { creditlimit: { op: 'multiply', value: 3 }, numberofemployees: { op: 'multiply', value: 7 } },
    });
    expect(multiplied.body['record']).toMatchObject({ creditlimit: 0.9, numberofemployees: 0 });
    const belowMinimum = await harness.call('PATCH', `/api/v1/records/account/${id}`, {
      $operations: { revenue: { op: 'decrement', value: 7 } },
    });
    expect(belowMinimum.status).toBe(400);
    expect(belowMinimum.body).toMatchObject({
      error: { violations: [{ field: 'operations.revenue', description: 'the result is -1; the minimum is 0', code: 'RANGE' }] },
    });
  });

  it('refuses bad operations naming each field, over REST (400) and gRPC (INVALID_ARGUMENT), and writes nothing', async () => {
    const id = await account({ numberofemployees: 1 });
    const before = (await harness.outbox()).length;
    const refused = await harness.call('PATCH', `/api/v1/records/account/${id}`, {
      numberofemployees: 3,
      $operations: {
        numberofemployees: { op: 'increment', value: 1 },
        name: { op: 'increment', value: 1 },
        creditlimit: { op: 'append', value: 'x' },
        revenue: { op: 'square', value: 2 },
        description: { op: 'append', value: 5 },
        nosuchthing: { op: 'increment', value: 1 },
      },
    });
    expect(refused.status).toBe(400);
    const error = refused.body['error'] as { code: string; violations: Array<{ field: string; code: string }> };
    expect(error.code).toBe('INVALID_OPERATIONS');
    expect(error.violations.map((violation) => [violation.field, violation.code])).toEqual([
      ['operations.numberofemployees', 'BOTH'],
      ['operations.name', 'OP_TYPE'],
      ['operations.creditlimit', 'OP_TYPE'],
      ['operations.revenue.op', 'OP'],
      ['operations.description.value', 'TYPE'],
      ['operations.nosuchthing', 'UNKNOWN_ATTRIBUTE'],
    ]);
    await expect(
      execute.execute(request({ id, operationsJson: JSON.stringify({ numberofemployees: { op: 'increment', value: 1.5 } }) })),
    ).rejects.toMatchObject({ grpcCode: status.INVALID_ARGUMENT });
    await expect(
      execute.execute(
        request({ message: 'Create', id: '', operationsJson: JSON.stringify({ numberofemployees: { op: 'increment', value: 1 } }) }),
      ),
    ).rejects.toMatchObject({ grpcCode: status.INVALID_ARGUMENT });
    expect((await harness.outbox()).length).toBe(before);
    const stored = await harness.call('GET', `/api/v1/records/account/${id}`);
    expect(stored.body['record']).toMatchObject({ numberofemployees: 1, versionnumber: 1 });
  });
});
