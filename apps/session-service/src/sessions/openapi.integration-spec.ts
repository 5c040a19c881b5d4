/**
 * The session service's REST answers against its own /openapi.json: the customer survey
 * started, answered, searched, gone back and canceled through a real registry, gateway and
 * session service, refusals included; each answer checked by ajv against the document.
 */
import { OpenApiConformance } from '@flowline/service-testing';
import { SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { startSessionChain, type SessionChain } from '../../test/session-chain';

type Body = Record<string, unknown>;
interface View {
  session: { id: string; rowVersion: number };
  page: { id: string } | null;
}
const errorOf = (body: unknown) => (body as { error: { code: string; violations: Body[] } }).error;

describe('the session service answers as its OpenAPI document says', () => {
  let chain: SessionChain;
  let api: OpenApiConformance;
  beforeAll(async () => {
    chain = await startSessionChain('openapi');
    api = await OpenApiConformance.of(chain.sessions.httpUrl);
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await chain?.stop();
  });

  it('serves the document without a token', async () => {
    const answer = await fetch(`${chain.sessions.httpUrl}/openapi.json`);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ openapi: '3.1.0', info: { title: 'Flowline session service' } });
  });

  it('starts, answers, searches, goes back and cancels a session as documented, and refuses in the Error shape', async () => {
    const user = { roles: ['user' as const] };
    const contact = await chain.contact('Ada', `OpenAPI-${Date.now()}`);
    const started = await api.call('POST', '/api/v1/sessions', {
      ...user,
      body: { dialog: 'customer-survey', entity: 'contact', recordId: contact, requestId: `openapi-${contact}` },
    });
    expect(started.status).toBe(201);
    const first = started.body as View;
    expect(first.page).toMatchObject({ id: 'satisfaction' });
    const repeated = await api.call('POST', '/api/v1/sessions', {
      ...user,
      body: { dialog: 'customer-survey', entity: 'contact', recordId: contact, requestId: `openapi-${contact}` },
    });
    expect(repeated).toMatchObject({ status: 200, body: { replayed: true } });

    expect((await api.call('GET', `/api/v1/sessions?recordId=${contact}&pageSize=5`, user)).body).toMatchObject({
      page: { totalCount: 1 },
    });
    const answered = await api.call('POST', `/api/v1/sessions/${first.session.id}/answers`, {
      ...user,
      body: { pageId: 'satisfaction', answers: { score: 1 }, pageToken: first.session.rowVersion },
    });
    expect(answered.body).toMatchObject({ page: { id: 'what-went-wrong' } });
    const second = answered.body as View;
    const lookup = await api.call('GET', `/api/v1/sessions/${first.session.id}/lookups/company?search=nothing-like-it&pageSize=5`, user);
    expect(lookup.body).toMatchObject({ entity: 'account', records: [], more: false });
    const back = await api.call('POST', `/api/v1/sessions/${first.session.id}/previous`, {
      ...user,
      body: { pageToken: second.session.rowVersion },
    });
    expect(back.body).toMatchObject({ page: { id: 'satisfaction' } });
    const detail = await api.call('GET', `/api/v1/sessions/${first.session.id}`, user);
    expect((detail.body as { actions: unknown[] }).actions.length).toBeGreaterThan(0);

    const stale = await api.call('POST', `/api/v1/sessions/${first.session.id}/cancel`, {
      ...user,
      body: { reason: 'stale', pageToken: first.session.rowVersion },
    });
    expect(stale.status).toBe(409);
    const badAnswers = await api.call('POST', `/api/v1/sessions/${first.session.id}/answers`, {
      ...user,
      body: { pageId: 'satisfaction', answers: 'lots', pageToken: (back.body as View).session.rowVersion },
    });
    expect(errorOf(badAnswers.body)).toMatchObject({
      code: 'SESSION_REQUEST_INVALID',
      violations: [{ field: 'answers', description: 'expected a JSON object' }],
    });
    const badStart = await api.call('POST', '/api/v1/sessions', { ...user, body: { dialog: 7, entity: 'contact', recordId: contact } });
    expect(errorOf(badStart.body)).toMatchObject({
      code: 'SESSION_REQUEST_INVALID',
      violations: [{ field: 'dialog', description: 'expected a string' }],
    });
    const badFilter = await api.call('GET', '/api/v1/sessions?state=open', user);
    expect(errorOf(badFilter.body)).toMatchObject({
      code: 'SESSION_REQUEST_INVALID',
      violations: [{ field: 'state', description: 'expected a whole number' }],
    });
    expect((await api.call('GET', `/api/v1/sessions/${first.session.id}`, { roles: null })).status).toBe(401);

    const canceled = await api.call('POST', `/api/v1/sessions/${first.session.id}/cancel`, {
      ...user,
      body: { reason: 'done here', pageToken: (back.body as View).session.rowVersion },
    });
    expect(canceled.body).toMatchObject({ session: { statusName: 'Canceled' }, page: null });

    // A trace as the console shows it: none kept by this service (no CONSOLE_TRACE_DIR); operators only; the id checked.
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    expect((await api.call('GET', `/api/v1/traces/${traceId}`, { roles: ['operator'] })).body).toEqual({
      traceId,
      kept: false,
      link: '',
      spans: [],
    });
    expect((await api.call('GET', `/api/v1/traces/${traceId}`, user)).status).toBe(403);
    const badTrace = await api.call('GET', '/api/v1/traces/not-a-trace', { roles: ['operator'] });
    expect(errorOf(badTrace.body)).toMatchObject({ code: 'TRACE_ID_INVALID', violations: [{ field: 'traceId' }] });
    expect(api.uncovered()).toEqual([]);
  });
});
