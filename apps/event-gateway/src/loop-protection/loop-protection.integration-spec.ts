import { Client } from 'pg';
import { startGateway, type GatewayHarness } from '../../test/gateway-harness';

/** Loop protection by depth, per correlation id and within a window, with the limits set by configuration. */
describe('loop protection', () => {
  let harness: GatewayHarness;
  let db: Client;
  beforeAll(async () => {
    harness = await startGateway({ LOOP_MAX_DEPTH: '4', LOOP_DEPTH_WINDOW_MS: '3600000' });
    db = new Client({ connectionString: harness.gateway.db.url });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await harness.stop();
  });

  const create = (lastname: string, correlationId: string, depth: number) =>
    harness.call('POST', '/api/v1/records/contact', { lastname }, { 'x-correlation-id': correlationId, 'x-flowline-depth': String(depth) });

  it('refuses at the configured depth, counting per correlation', async () => {
    for (const depth of [1, 2, 3]) expect((await create(`chain ${depth}`, 'chain-a', depth)).status).toBe(201);
    const refused = await create('chain 4', 'chain-a', 4);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({
      error: {
        code: 'LOOP_DETECTED',
        message: expect.stringContaining('reached depth 4 within 60 minute(s) of correlation chain-a (the limit is 4)'),
      },
    });
    // Reads cannot loop: they are answered at any depth.
    const read = await harness.call('GET', '/api/v1/records/contact?lastname=chain%201', undefined, { 'x-flowline-depth': '9' });
    expect(read.status).toBe(200);
    const metrics = await (await fetch(`${harness.gateway.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/flowline_gateway_loops_detected_total\{message="Create",service="event-gateway"\} 1/);
  });

  it('counts depth only within the window: a chain whose window has passed starts a new one at the depth it reached', async () => {
    expect((await create('slow 2', 'chain-slow', 2)).status).toBe(201);
    // The chain's window began two hours ago (a workflow that waited between its steps).
    await db.query(
      `UPDATE "gateway"."correlation_window" SET "window_started_at" = now() - interval '2 hours' WHERE "correlation_id" = 'chain-slow'`,
    );
    expect((await create('slow 5', 'chain-slow', 5)).status).toBe(201);
    expect((await create('slow 7', 'chain-slow', 7)).status).toBe(201);
    // Within the new window (begun at depth 5) it goes three deeper, to 8: 4 levels within the hour.
    const refused = await create('slow 8', 'chain-slow', 8);
    expect(refused.body).toMatchObject({
      error: { code: 'LOOP_DETECTED', message: expect.stringContaining('reached depth 4 within 60 minute(s) of correlation chain-slow') },
    });
    const window = await db.query(`SELECT "base_depth" FROM "gateway"."correlation_window" WHERE "correlation_id" = 'chain-slow'`);
    expect(window.rows).toEqual([{ base_depth: 4 }]);
  });

  it('refuses a chain first seen already at the maximum depth', async () => {
    const refused = await create('straight in', 'chain-new', 4);
    expect(refused.status).toBe(429);
  });
});
