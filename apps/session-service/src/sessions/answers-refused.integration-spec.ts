/**
 * Answers the session service refuses for good, naming the field, over the real chain
 * (registry, gateway, session service): text with a NUL (it answered 503 "try again" and every
 * retry failed the same way), a date that does not exist, and a prompt the page does not have.
 */
import { SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { startSessionChain, type HttpAnswer, type SessionChain } from '../../test/session-chain';

interface View {
  session: { id: string; rowVersion: number; status: number };
  page: { id: string } | null;
}

interface Refusal {
  error: { code: string; message: string; violations: Array<{ field: string; description: string; code?: string }> };
}

describe('answers refused for good, each naming its field', () => {
  let chain: SessionChain;
  beforeAll(async () => {
    chain = await startSessionChain('answers-refused');
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await chain?.stop();
  });

  const start = async () => {
    const contactId = await chain.contact('Nul', 'Tester');
    const started = await chain.api('POST', '/api/v1/sessions', { dialog: 'customer-survey', entity: 'contact', recordId: contactId });
    expect(started.status).toBe(201);
    return started.body as unknown as View;
  };
  const submit = (view: View, answers: Record<string, unknown>) =>
    chain.api('POST', `/api/v1/sessions/${view.session.id}/answers`, {
      pageId: view.page!.id,
      answers,
      pageToken: view.session.rowVersion,
    });
  const refusal = (answer: HttpAnswer) => answer.body as unknown as Refusal;

  it('refuses a NUL in a text answer with 400 at answers.details, the same on every retry, and takes the corrected answer', async () => {
    const first = await start();
    const second = (await submit(first, { score: '1' })).body as unknown as View;
    expect(second.page?.id).toBe('what-went-wrong');
    for (let attempt = 1; attempt <= 2; attempt++) {
      const answer = await submit(second, { details: 'late\u0000parcel' });
      expect(answer.status).toBe(400);
      expect(refusal(answer).error).toMatchObject({
        code: 'ANSWERS_INVALID',
        violations: [
          {
            field: 'answers.details',
            code: 'BAD_CHARACTER',
            description: 'the answer holds a NUL character (\\u0000) at position 4: remove it',
          },
        ],
      });
    }
    const corrected = await submit(second, { details: 'late parcel' });
    expect(corrected.status).toBe(200);
    expect((corrected.body as unknown as View).page).toBeNull();
  });

  it('refuses a lone surrogate in a text answer at its field', async () => {
    const first = await start();
    const second = (await submit(first, { score: '1' })).body as unknown as View;
    const answer = await submit(second, { details: 'a\ud800b' });
    expect(answer.status).toBe(400);
    expect(refusal(answer).error.violations).toEqual([expect.objectContaining({ field: 'answers.details', code: 'BAD_CHARACTER' })]);
  });

  it('refuses an answer for a prompt the page does not have, naming it and the prompts there are', async () => {
    const first = await start();
    const answer = await submit(first, { score: '2', nosuch: 'x' });
    expect(answer.status).toBe(400);
    expect(refusal(answer).error.violations).toEqual([
      {
        field: 'answers.nosuch',
        code: 'UNKNOWN_PROMPT',
        description: "the page 'satisfaction' has no prompt 'nosuch'; its prompts are score",
      },
    ]);
  });

  it('refuses an object where the prompt takes one value (it answered 500: the interpreter read {toString: 1} as text)', async () => {
    const first = await start();
    const answer = await submit(first, { score: { toString: 1 } });
    expect(answer.status).toBe(400);
    expect(refusal(answer).error.violations).toEqual([expect.objectContaining({ field: 'answers.score', code: 'ANSWER_INVALID' })]);
  });

  it('refuses an impossible date (2027-02-30) at answers.callOn and takes a real one', async () => {
    const first = await start();
    const second = (await submit(first, { score: '2' })).body as unknown as View;
    expect(second.page?.id).toBe('call-back');
    const answer = await submit(second, { wantsCall: '0', callOn: '2027-02-30' });
    expect(answer.status).toBe(400);
    expect(refusal(answer).error.violations).toEqual([
      {
        field: 'answers.callOn',
        code: 'ANSWER_INVALID',
        description: "'2027-02-30' is not a day of the calendar: expected a date as YYYY-MM-DD that exists",
      },
    ]);
    const leap = await submit(second, { wantsCall: '0', callOn: '2028-02-29' });
    expect(leap.status).toBe(200);
  });
});
