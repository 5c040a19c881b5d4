/**
 * A workflow end to end with every service calling the others with its own key (SERVICE_KEY,
 * AUTH_SERVICE_KEYS), as the launcher runs them: the gateway's and the executor's metadata,
 * the executor's definition look-ups at the registry and its Execute calls to the gateway.
 * AUTH_HS256_ROLES leaves the `service` role out of HS256 tokens on every service, so a call
 * signed with the shared secret would be refused: the run can only succeed through the keys.
 */
import { generateServiceKey } from '@flowline/auth';
import { AsyncOperationStatus as Status } from '@flowline/contracts';
import { waitFor, SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { startChain, type Chain } from '../test/chain';

const stamp = `schemaVersion: 1
name: Stamp
uniqueName: stamp-with-keys
category: workflow
primaryEntity: account
triggers:
  - on: create
steps:
  - id: stamp
    type: updateRecord
    set:
      description: stamped by the executor
`;

describe('services calling each other with their own keys only', () => {
  let chain: Chain;
  beforeAll(async () => {
    const names = ['process-registry', 'event-gateway', 'async-executor'] as const;
    const keys = new Map(await Promise.all(names.map(async (name) => [name, await generateServiceKey(name)] as const)));
    const publicKeys = JSON.stringify({ keys: [...keys.values()].map((key) => key.publicJwk) });
    chain = await startChain('keys', [{ source: stamp, format: 'yaml' }], { WORKER_POLL_MS: '100' }, (service) => ({
      AUTH_SERVICE_KEYS: publicKeys,
      SERVICE_KEY: JSON.stringify(keys.get(service)!.privateJwk),
      // The test's own HS256 tokens (author, user) still work; HS256 service tokens do not.
      AUTH_HS256_ROLES: 'admin,author,operator,user',
      LOG_LEVEL: 'info',
    }));
  }, 2 * SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await chain?.stop();
  });

  it('a workflow started by an event reads its definition and updates the record through the gateway', async () => {
    const id = String((await chain.call('POST', '/api/v1/records/account', { name: 'Keyed', description: '' }))['id']);
    await waitFor(
      async () =>
        (
          await chain.sql.query(`SELECT status FROM "executor"."async_operation" WHERE regarding_id = $1 AND name = 'stamp-with-keys'`, [
            id,
          ])
        ).rows[0]?.status === Status.Succeeded,
      { timeoutMs: 60_000, what: 'the stamp workflow to succeed' },
    );
    const account = (await chain.call('GET', `/api/v1/records/account/${id}`))['record'] as Record<string, unknown>;
    expect(account).toMatchObject({ description: 'stamped by the executor' });
    expect(chain.executor.process.output.join('\n')).toContain("EdDSA tokens signed with its own key 'async-executor' (SERVICE_KEY)");
  }, 120_000);
});
