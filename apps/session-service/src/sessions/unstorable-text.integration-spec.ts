/**
 * Text no store can keep (a NUL character, a lone UTF-16 surrogate) anywhere in a request to the
 * session service's REST API, over the real chain: refused for good with 400 `BAD_CHARACTER`
 * naming the field, never 500 nor 503 "try again"; nothing is started or changed.
 */
import { SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { startSessionChain, type HttpAnswer, type SessionChain } from '../../test/session-chain';

interface Refusal {
  error: { code: string; message: string; violations: Array<{ field: string; description: string; code?: string }> };
}

describe('the session service refuses unstorable text at its field', () => {
  let chain: SessionChain;
  let contactId: string;
  beforeAll(async () => {
    chain = await startSessionChain('unstorable-text');
    contactId = await chain.contact('Text', 'Tester');
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await chain?.stop();
  });

  const refusedAt = (answer: HttpAnswer) => {
    expect(answer.status).toBe(400);
    const { error } = answer.body as unknown as Refusal;
    expect(error.code).toBe('BAD_CHARACTER');
    return error.violations.map((violation) => violation.field);
  };

  it('refuses a NUL or a lone surrogate in what starts a session', async () => {
    const start = (body: Record<string, unknown>) =>
      chain.api('POST', '/api/v1/sessions', { dialog: 'customer-survey', entity: 'contact', recordId: contactId, ...body });
    expect(refusedAt(await start({ inputs: { note: 'a\u0000b' } }))).toEqual(['inputs.note']);
    expect(refusedAt(await start({ dialog: 'customer\u0000survey' }))).toEqual(['dialog']);
    expect(refusedAt(await start({ requestId: 'r\ud800' }))).toEqual(['requestId']);
    const listed = await chain.api('GET', `/api/v1/sessions?recordId=${contactId}`);
    expect(listed.status).toBe(200);
    expect(listed.body['sessions']).toEqual([]);
  });

  it('refuses a NUL in a list filter or a cancel reason', async () => {
    expect(refusedAt(await chain.api('GET', '/api/v1/sessions?entity=con%00tact'))).toEqual(['entity']);
    const started = await chain.api('POST', '/api/v1/sessions', { dialog: 'customer-survey', entity: 'contact', recordId: contactId });
    expect(started.status).toBe(201);
    const { session } = started.body as unknown as { session: { id: string; rowVersion: number } };
    const cancel = await chain.api('POST', `/api/v1/sessions/${session.id}/cancel`, { reason: 'no\u0000', pageToken: session.rowVersion });
    expect(refusedAt(cancel)).toEqual(['reason']);
    const still = await chain.api('GET', `/api/v1/sessions/${session.id}`);
    expect(still.body).toMatchObject({ session: { rowVersion: session.rowVersion } });
  });
});
