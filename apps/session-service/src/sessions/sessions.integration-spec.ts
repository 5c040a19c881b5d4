import { randomUUID } from 'node:crypto';
import { Topics } from '@flowline/contracts';
import { RpcCallError } from '@flowline/rpc';
import { waitFor, SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { ALICE, BOB, OPERATOR, startSessionChain, type SessionChain } from '../../test/session-chain';

interface View {
  session: {
    id: string;
    state: number;
    stateName: string;
    status: number;
    statusName: string;
    rowVersion: number;
    currentPageId: string | null;
    completedBy: string | null;
    canceledBy: string | null;
    correlationId: string;
    answers: Record<string, Record<string, unknown>>;
  };
  page: {
    id: string;
    title: string;
    canGoBack: boolean;
    last: boolean;
    prompts: Array<{
      id: string;
      text: string;
      answer?: unknown;
      response: { type: string; required: boolean; entity?: string; options?: Array<{ value: string | number; label: string }> };
    }>;
  } | null;
  summary: Array<{ promptId: string; text: string; answerLabel: string }>;
  replayed: boolean;
  actions?: Array<{ kind: string; stepId: string | null; entity: string | null; recordId: string | null; detail: Record<string, unknown> }>;
}

describe('dialog sessions over the API: the customer survey end to end', () => {
  let chain: SessionChain;
  beforeAll(async () => {
    chain = await startSessionChain('sessions');
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await chain.stop();
  });

  const start = async (recordId: string, caller = ALICE) => {
    const answer = await chain.api('POST', '/api/v1/sessions', { dialog: 'customer-survey', entity: 'contact', recordId }, caller);
    expect(answer.status).toBe(201);
    return answer.body as unknown as View;
  };
  /** The survey on a contact, started over gRPC. */
  const startOverGrpc = (client: ReturnType<SessionChain['grpc']>, contactId: string) =>
    client.startSession({
      dialog: { id: '', uniqueName: 'customer-survey' },
      entity: 'contact',
      recordId: contactId,
      inputsJson: '',
      requestId: '',
    });
  const submit = (view: View, answers: Record<string, unknown>, caller = ALICE) =>
    chain.api(
      'POST',
      `/api/v1/sessions/${view.session.id}/answers`,
      { pageId: view.page!.id, answers, pageToken: view.session.rowVersion },
      caller,
    );
  const answered = async (view: View, answers: Record<string, unknown>, caller = ALICE) => {
    const answer = await submit(view, answers, caller);
    expect(answer.status).toBe(200);
    return answer.body as unknown as View;
  };
  const detail = async (id: string, caller = ALICE) =>
    (await chain.api('GET', `/api/v1/sessions/${id}`, undefined, caller)).body as unknown as View;
  const records = async (entity: string, filter: string) =>
    ((await chain.gateway$('GET', `/api/v1/records/${entity}?${filter}`)).body['records'] ?? []) as Array<Record<string, unknown>>;

  it('shows the first page, branches on the answer, creates a case through the gateway (seen on Kafka) and finishes Complete / Completed', async () => {
    const contactId = await chain.contact('Ada', 'Ng');
    const first = await start(contactId);
    expect(first.session).toMatchObject({ state: 0, stateName: 'Incomplete', status: 2, statusName: 'In Progress', rowVersion: 1 });
    expect(first.page).toMatchObject({ id: 'satisfaction', title: 'How did we do?', canGoBack: false, last: false });
    expect(first.page!.prompts).toEqual([
      {
        id: 'score',
        text: 'How satisfied are you, Ada?',
        response: {
          type: 'optionSet',
          required: true,
          display: 'radio',
          options: [
            { value: 1, label: 'Unhappy' },
            { value: 2, label: 'Fine' },
            { value: 3, label: 'Delighted' },
          ],
        },
      },
    ]);

    const second = await answered(first, { score: '1' });
    expect(second.page).toMatchObject({ id: 'what-went-wrong', canGoBack: true, last: true });
    expect(second.session.rowVersion).toBe(2);

    const done = await answered(second, { details: 'The parcel came a week late' });
    expect(done.page).toBeNull();
    expect(done.session).toMatchObject({
      state: 1,
      stateName: 'Complete',
      status: 4,
      statusName: 'Completed',
      completedBy: 'alice',
      currentPageId: null,
    });
    expect(done.session.answers).toEqual({
      satisfaction: { score: 1 },
      'what-went-wrong': { details: 'The parcel came a week late', company: null },
    });
    expect(done.summary.map((item) => [item.text, item.answerLabel])).toEqual([
      ['How satisfied are you, Ada?', 'Unhappy'],
      ['What went wrong?', 'The parcel came a week late'],
      ['Were you buying for a company? Find it here.', ''],
    ]);

    const cases = await records('incident', `title=${encodeURIComponent('Unhappy customer Ada Ng')}`);
    expect(cases).toHaveLength(1);
    expect(cases[0]).toMatchObject({ prioritycode: 1, createdby: 'alice' });
    const caseId = String(cases[0]!['incidentid']);

    const log = await detail(done.session.id);
    expect(log.actions!.map((action) => [action.kind, action.stepId])).toEqual([
      ['pageShown', 'satisfaction'],
      ['pageAnswered', 'satisfaction'],
      ['pageShown', 'what-went-wrong'],
      ['pageAnswered', 'what-went-wrong'],
      ['recordCreated', 'open-case'],
      ['completed', null],
    ]);
    expect(log.actions![4]).toMatchObject({
      entity: 'incident',
      recordId: caseId,
      detail: { values: { title: 'Unhappy customer Ada Ng', prioritycode: 1 } },
    });

    // The case went through the pipeline: its event is on Kafka, as the person, in the session's correlation.
    const pipeline = await chain.read(Topics.pipelineEvents, (all) => all.some((message) => message.key === `incident:${caseId}`));
    const created = pipeline.find((message) => message.key === `incident:${caseId}`)!.envelope.payload;
    expect(created).toMatchObject({
      message: 'Create',
      entity: 'incident',
      initiatingUserId: 'alice',
      origin: 'session-service',
      depth: 1,
    });
    expect(created['correlationId']).toBe(done.session.correlationId);

    // And the session's own changes are on flowline.sessions.v1, keyed by the session id.
    const changes = await chain.read(Topics.sessions, (all) => all.filter((message) => message.key === done.session.id).length >= 3);
    expect(changes.filter((message) => message.key === done.session.id).map((message) => message.envelope.payload['change'])).toEqual([
      'started',
      'pageAnswered',
      'completed',
    ]);
    expect(changes.find((message) => message.envelope.payload['change'] === 'completed')!.envelope).toMatchObject({
      type: 'session.changed',
      payload: {
        state: 1,
        status: 4,
        dialogUniqueName: 'customer-survey',
        entity: 'contact',
        recordId: contactId,
        answers: done.session.answers,
      },
    });
  });

  it('searches the company by name for a lookup, refuses a record that does not exist, and opens the case for the one chosen', async () => {
    const tag = randomUUID().slice(0, 8);
    const account = async (name: string) => {
      const created = await chain.gateway$('POST', '/api/v1/records/account', { name });
      expect(created.status).toBe(201);
      return String(created.body['id']);
    };
    const ltd = await account(`Contoso ${tag} Ltd`);
    await account(`Contoso ${tag} Pharma`);
    await account(`Fabrikam ${tag}`);
    const coffee = await account(`100% Coffee ${tag}`);
    const contactId = await chain.contact('Ken', 'Thompson');
    const page = await answered(await start(contactId), { score: 1 });
    expect(page.page!.prompts[1]).toMatchObject({
      id: 'company',
      response: { type: 'lookup', required: false, entity: 'account', idAttribute: 'accountid', labelAttribute: 'name' },
    });
    const lookup = (query: string, caller = ALICE) =>
      chain.api('GET', `/api/v1/sessions/${page.session.id}/lookups/company?${query}`, undefined, caller);

    // By part of the name, case-insensitive, ordered by name; % and _ match themselves.
    expect((await lookup(`search=contoso%20${tag}`)).body).toEqual({
      entity: 'account',
      records: [
        { id: ltd, label: `Contoso ${tag} Ltd` },
        { id: expect.any(String), label: `Contoso ${tag} Pharma` },
      ],
      more: false,
    });
    expect((await lookup(`search=${encodeURIComponent(`0% Coffee ${tag}`)}`)).body).toEqual({
      entity: 'account',
      records: [{ id: coffee, label: `100% Coffee ${tag}` }],
      more: false,
    });
    expect((await lookup(`search=${encodeURIComponent(`_ ${tag}`)}`)).body).toMatchObject({ records: [] });
    expect((await lookup(`search=${tag}&pageSize=1`)).body).toMatchObject({ records: [{ label: `100% Coffee ${tag}` }], more: true });
    // Only lookups to search, on the page shown, in one's own session.
    expect((await chain.api('GET', `/api/v1/sessions/${page.session.id}/lookups/details?search=x`)).status).toBe(409);
    expect((await lookup('search=x&pageSize=500')).status).toBe(400);
    expect((await lookup(`search=${tag}`, BOB)).status).toBe(403);

    // A record that does not exist is refused with the other problems of the page, and nothing changes.
    const missing = await submit(page, { company: randomUUID() });
    expect(missing.status).toBe(400);
    expect((missing.body['error'] as { violations: Array<{ field: string; description: string }> }).violations).toEqual([
      { field: 'answers.details', description: 'an answer is required', code: 'ANSWER_INVALID' },
      {
        field: 'answers.company',
        description: expect.stringMatching(/^no account record with id '[0-9a-f-]+': search for it by name and choose it from the list$/),
        code: 'ANSWER_INVALID',
      },
    ]);
    expect((await detail(page.session.id)).session.rowVersion).toBe(page.session.rowVersion);

    // The name a browser sends is not trusted: the gateway's is kept.
    const done = await answered(page, { details: 'Wrong invoice', company: { entity: 'account', id: ltd, name: 'Something else' } });
    expect(done.session.answers['what-went-wrong']).toEqual({
      details: 'Wrong invoice',
      company: { entity: 'account', id: ltd, name: `Contoso ${tag} Ltd` },
    });
    expect(done.summary.find((item) => item.promptId === 'company')).toMatchObject({ answerLabel: `Contoso ${tag} Ltd` });
    const cases = await records('incident', `title=${encodeURIComponent('Unhappy customer Ken Thompson')}`);
    expect(cases).toHaveLength(1);
    expect(cases[0]).toMatchObject({ customerid: { entity: 'account', id: ltd }, description: 'Wrong invoice' });

    // The same search over gRPC.
    const again = await answered(await start(contactId), { score: 1 });
    const found = await chain.grpc(ALICE).searchLookup({ sessionId: again.session.id, promptId: 'company', search: `pharma`, pageSize: 0 });
    expect(found).toMatchObject({ entity: 'account', more: false });
    expect(found.records.map((record) => record.label)).toContain(`Contoso ${tag} Pharma`);
  });

  it("queries the contact's open cases, assigns a variable and creates a call-back task on the Fine branch", async () => {
    const contactId = await chain.contact('Grace', 'Hopper');
    const otherId = await chain.contact('Alan', 'Turing');
    const caseIds: Record<string, string> = {};
    for (const [title, customer] of [
      ['Printer jam', contactId],
      ['Invoice wrong', contactId],
      ['Not hers', otherId],
    ] as const) {
      const created = await chain.gateway$('POST', '/api/v1/records/incident', { title, customerid: { entity: 'contact', id: customer } });
      expect(created.status).toBe(201);
      caseIds[title] = String(created.body['id']);
    }
    const fine = await answered(await start(contactId), { score: 2 });
    expect(fine.page).toMatchObject({ id: 'call-back', title: 'Shall we call you?', last: true });
    expect(fine.page!.prompts.map((prompt) => prompt.text)).toEqual([
      'You have 2 open case(s) with us. Would you like a call back?',
      'On which day?',
      'How many orders did you place with us this year?',
      'How do you usually order?',
      'Is the call about one of your open cases?',
    ]);
    // Her open cases, and only hers, are the choices: a lookup of incident records by id.
    const aboutCase = fine.page!.prompts.find((prompt) => prompt.id === 'aboutCase')!;
    expect(aboutCase.response).toMatchObject({ type: 'lookup', required: false, entity: 'incident' });
    expect([...aboutCase.response.options!].sort((a, b) => a.label.localeCompare(b.label))).toEqual([
      { value: caseIds['Invoice wrong'], label: 'Invoice wrong' },
      { value: caseIds['Printer jam'], label: 'Printer jam' },
    ]);
    const notHers = await submit(fine, { wantsCall: '1', aboutCase: { entity: 'incident', id: caseIds['Not hers'] } });
    expect(notHers.status).toBe(400);
    expect((notHers.body['error'] as { violations: Array<{ field: string; description: string }> }).violations).toEqual([
      expect.objectContaining({
        field: 'answers.aboutCase',
        description: expect.stringContaining('expected one of the incident records offered'),
      }),
    ]);

    const done = await answered(fine, {
      wantsCall: '1',
      callOn: '2026-12-01',
      orders: '7',
      channel: 'phone',
      aboutCase: { entity: 'incident', id: caseIds['Invoice wrong'] },
    });
    expect(done.session).toMatchObject({ state: 1, status: 4 });
    const tasks = await records('task', `subject=${encodeURIComponent('Call back Grace Hopper')}`);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({
      description: '7 order(s) this year, usually by phone.',
      prioritycode: 2,
      regardingobjectid: { entity: 'incident', id: caseIds['Invoice wrong'] },
    });
    expect(String(tasks[0]!['scheduledend'])).toMatch(/^2026-12-01/);

    const log = await detail(done.session.id);
    expect(log.actions!.map((action) => action.kind)).toEqual([
      'pageShown',
      'pageAnswered',
      'recordsQueried',
      'pageShown',
      'pageAnswered',
      'variableAssigned',
      'recordCreated',
      'completed',
    ]);
    expect(log.actions!.find((action) => action.kind === 'recordsQueried')).toMatchObject({
      stepId: 'open-cases',
      entity: 'incident',
      detail: { count: 2 },
    });
    expect(log.actions!.find((action) => action.kind === 'variableAssigned')).toMatchObject({
      stepId: 'remember-orders',
      detail: { variable: 'orderCount', value: 7 },
    });
    expect(log.actions!.find((action) => action.kind === 'recordCreated')).toMatchObject({
      entity: 'task',
      recordId: tasks[0]!['activityid'],
    });
  });

  it('refuses invalid answers field by field and changes nothing', async () => {
    const contactId = await chain.contact('Edsger', 'Dijkstra');
    const page = await answered(await start(contactId), { score: 2 });
    const before = await detail(page.session.id);

    const refused = await submit(page, { wantsCall: 'maybe', callOn: '31/12/2026', orders: 'a few', channel: 'pigeon' });
    expect(refused.status).toBe(400);
    expect(refused.body['error']).toEqual({
      code: 'ANSWERS_INVALID',
      message: expect.stringMatching(/^4 answers were refused: correct them and submit the page again/),
      violations: [
        { field: 'answers.wantsCall', description: "expected one of 1 (Yes), 0 (No), got 'maybe'", code: 'ANSWER_INVALID' },
        { field: 'answers.callOn', description: "expected a date as YYYY-MM-DD, got '31/12/2026'", code: 'ANSWER_INVALID' },
        { field: 'answers.orders', description: "expected a whole number, got 'a few'", code: 'ANSWER_INVALID' },
        {
          field: 'answers.channel',
          description: "expected one of web (Website), phone (Phone), store (In a store), got 'pigeon'",
          code: 'ANSWER_INVALID',
        },
      ],
    });
    const missing = await submit(page, { orders: '3' });
    expect(missing.status).toBe(400);
    expect((missing.body['error'] as { violations: unknown[] }).violations).toEqual([
      { field: 'answers.wantsCall', description: 'an answer is required', code: 'ANSWER_INVALID' },
    ]);

    const after = await detail(page.session.id);
    expect(after.session).toEqual(before.session);
    expect(after.page).toEqual(before.page);
    expect(after.actions).toEqual(before.actions);
    expect(await records('task', `subject=${encodeURIComponent('Call back Edsger Dijkstra')}`)).toEqual([]);
  });

  it('goes back a page with the earlier answer restored, then takes another branch; the first page has no page before it', async () => {
    const contactId = await chain.contact('Barbara', 'Liskov');
    const first = await start(contactId);
    const refusedBack = await chain.api('POST', `/api/v1/sessions/${first.session.id}/previous`, { pageToken: first.session.rowVersion });
    expect(refusedBack.status).toBe(409);
    expect(refusedBack.body['error']).toMatchObject({ code: 'NO_PREVIOUS_PAGE' });

    const unhappy = await answered(first, { score: 1 });
    const back = await chain.api('POST', `/api/v1/sessions/${unhappy.session.id}/previous`, { pageToken: unhappy.session.rowVersion });
    expect(back.status).toBe(200);
    const again = back.body as unknown as View;
    expect(again.page).toMatchObject({ id: 'satisfaction', canGoBack: false });
    expect(again.page!.prompts[0]!.answer).toBe(1);

    const thanks = await answered(again, { score: 3 });
    expect(thanks.page).toMatchObject({ id: 'thanks', last: true });
    const done = await answered(thanks, { note: 'All good' });
    expect(done.session).toMatchObject({ state: 1, status: 4 });
    expect(done.summary.map((item) => item.answerLabel)).toEqual(['Delighted', 'All good']);
    expect(await records('incident', `title=${encodeURIComponent('Unhappy customer Barbara Liskov')}`)).toEqual([]);
    const kinds = (await detail(done.session.id)).actions!.map((action) => action.kind);
    expect(kinds).toEqual([
      'pageShown',
      'pageAnswered',
      'pageShown',
      'previousPage',
      'pageShown',
      'pageAnswered',
      'pageShown',
      'pageAnswered',
      'completed',
    ]);
  });

  it('cancel leaves the session Incomplete / Canceled: later answers are refused, a second cancel answers the same', async () => {
    const contactId = await chain.contact('Ken', 'Thompson');
    const first = await start(contactId);
    const canceled = await chain.api('POST', `/api/v1/sessions/${first.session.id}/cancel`, { pageToken: first.session.rowVersion });
    expect(canceled.status).toBe(200);
    const view = canceled.body as unknown as View;
    expect(view.session).toMatchObject({
      state: 0,
      stateName: 'Incomplete',
      status: 5,
      statusName: 'Canceled',
      canceledBy: 'alice',
      completedBy: null,
    });
    expect(view.page).toBeNull();

    const late = await submit(first, { score: 2 });
    expect(late.status).toBe(409);
    expect(late.body['error']).toMatchObject({ code: 'SESSION_ENDED', message: expect.stringContaining('is Canceled') });
    const twice = await chain.api('POST', `/api/v1/sessions/${first.session.id}/cancel`, {});
    expect(twice.status).toBe(200);
    expect(twice.body).toMatchObject({ replayed: true, session: { status: 5, rowVersion: view.session.rowVersion } });
    expect((await detail(first.session.id)).actions!.map((action) => action.kind)).toEqual(['pageShown', 'canceled']);

    const changes = await chain.read(Topics.sessions, (all) =>
      all.some((m) => m.key === first.session.id && m.envelope.payload['change'] === 'canceled'),
    );
    expect(changes.find((m) => m.key === first.session.id && m.envelope.payload['change'] === 'canceled')!.envelope.payload).toMatchObject({
      state: 0,
      status: 5,
      changedBy: 'alice',
    });
  });

  it('acts once on a double submit: same page token and answers get the first answer, a different answer with an old token is refused', async () => {
    const contactId = await chain.contact('Donald', 'Knuth');
    const page = await answered(await start(contactId), { score: 1 });
    const [one, two] = await Promise.all([submit(page, { details: 'Twice?' }), submit(page, { details: 'Twice?' })]);
    expect([one.status, two.status]).toEqual([200, 200]);
    const views = [one.body, two.body] as unknown as View[];
    expect(views.map((view) => view.session.rowVersion)).toEqual([page.session.rowVersion + 1, page.session.rowVersion + 1]);
    expect(views.every((view) => view.session.status === 4)).toBe(true);
    expect(views.map((view) => view.replayed).sort()).toEqual([false, true]);

    const third = await submit(page, { details: 'Twice?' });
    expect(third.status).toBe(200);
    expect(third.body).toMatchObject({ replayed: true });
    expect(third.headers.get('x-flowline-replayed')).toBe('true');

    const changed = await submit(page, { details: 'Something else' });
    expect(changed.status).toBe(409);
    expect(changed.body['error']).toMatchObject({ code: 'SESSION_ENDED' });

    expect(await records('incident', `title=${encodeURIComponent('Unhappy customer Donald Knuth')}`)).toHaveLength(1);
    const kinds = (await detail(page.session.id)).actions!.map((action) => action.kind);
    expect(kinds.filter((kind) => kind === 'recordCreated')).toHaveLength(1);
    expect(kinds.filter((kind) => kind === 'pageAnswered')).toHaveLength(2);

    // Still in progress: a stale page token with other answers is a conflict, not a silent overwrite.
    const fresh = await start(await chain.contact('Niklaus', 'Wirth'));
    await answered(fresh, { score: 3 });
    const stale = await submit(fresh, { score: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body['error']).toMatchObject({ code: 'SESSION_CHANGED' });
  });

  it('starts once for a repeated request id', async () => {
    const contactId = await chain.contact('Frances', 'Allen');
    const body = { dialog: 'customer-survey', entity: 'contact', recordId: contactId, requestId: 'click-1' };
    const first = await chain.api('POST', '/api/v1/sessions', body);
    const second = await chain.api('POST', '/api/v1/sessions', body);
    expect([first.status, second.status]).toEqual([201, 200]);
    expect((second.body as unknown as View).session.id).toBe((first.body as unknown as View).session.id);
    expect(second.body).toMatchObject({ replayed: true });
    const bobs = await chain.api('POST', '/api/v1/sessions', body, BOB);
    expect(bobs.status).toBe(201);
    expect((bobs.body as unknown as View).session.id).not.toBe((first.body as unknown as View).session.id);
  });

  it('keeps a session to the user who started it: others get 403, operators may see and act, lists show users their own', async () => {
    const contactId = await chain.contact('Radia', 'Perlman');
    const alices = await start(contactId);
    const seen = await chain.api('GET', `/api/v1/sessions/${alices.session.id}`, undefined, BOB);
    expect(seen.status).toBe(403);
    expect(seen.body['error']).toMatchObject({ code: 'NOT_YOUR_SESSION', message: expect.stringContaining('belongs to alice') });
    expect((await submit(alices, { score: 3 }, BOB)).status).toBe(403);
    expect((await chain.api('POST', `/api/v1/sessions/${alices.session.id}/cancel`, {}, BOB)).status).toBe(403);

    expect((await chain.api('GET', `/api/v1/sessions/${alices.session.id}`, undefined, OPERATOR)).status).toBe(200);
    const helped = await answered(alices, { score: 3 }, OPERATOR);
    expect(helped.page).toMatchObject({ id: 'thanks' });
    const log = await detail(alices.session.id, OPERATOR);
    expect(log.actions!.find((action) => action.kind === 'pageAnswered')).toMatchObject({ performedBy: 'olga' });

    const bobsOwn = await start(contactId, BOB);
    const bobsList = await chain.api('GET', `/api/v1/sessions?entity=contact&recordId=${contactId}`, undefined, BOB);
    expect((bobsList.body['sessions'] as Array<{ id: string }>).map((s) => s.id)).toEqual([bobsOwn.session.id]);
    expect((await chain.api('GET', '/api/v1/sessions?startedBy=alice', undefined, BOB)).status).toBe(403);
    const all = await chain.api(
      'GET',
      `/api/v1/sessions?recordId=${contactId}&dialog=customer-survey&state=0&status=2`,
      undefined,
      OPERATOR,
    );
    expect((all.body['sessions'] as Array<{ id: string }>).map((s) => s.id).sort()).toEqual([alices.session.id, bobsOwn.session.id].sort());
    expect(all.body['page']).toEqual({ nextPageToken: '', totalCount: 2 });
    const paged = await chain.api('GET', `/api/v1/sessions?recordId=${contactId}&pageSize=1`, undefined, OPERATOR);
    expect((paged.body['sessions'] as unknown[]).length).toBe(1);
    expect((paged.body['page'] as { nextPageToken: string }).nextPageToken).not.toBe('');
  });

  it('refuses what cannot run: an unknown dialog, a workflow, the wrong entity, a missing record, no token', async () => {
    const contactId = await chain.contact('Tony', 'Hoare');
    const attempt = (body: Record<string, unknown>) => chain.api('POST', '/api/v1/sessions', body);
    const unknown = await attempt({ dialog: 'customer-survay', entity: 'contact', recordId: contactId });
    expect([unknown.status, (unknown.body['error'] as { code: string }).code]).toEqual([404, 'DIALOG_NOT_FOUND']);
    const workflow = await attempt({ dialog: 'account-onboarding', entity: 'account', recordId: contactId });
    expect([workflow.status, (workflow.body['error'] as { code: string }).code]).toEqual([400, 'NOT_A_DIALOG']);
    const entity = await attempt({ dialog: 'customer-survey', entity: 'account', recordId: contactId });
    expect(entity.body['error']).toMatchObject({
      code: 'ENTITY_MISMATCH',
      message: "dialog 'customer-survey' runs on contact records, not account: entity: expected contact",
    });
    const record = await attempt({ dialog: 'customer-survey', entity: 'contact', recordId: '00000000-0000-4000-8000-000000000000' });
    expect([record.status, (record.body['error'] as { code: string }).code]).toEqual([404, 'RECORD_NOT_FOUND']);
    const incomplete = await attempt({ dialog: 'customer-survey' });
    expect(incomplete.status).toBe(400);
    expect((incomplete.body['error'] as { violations: Array<{ field: string }> }).violations.map((v) => v.field)).toEqual([
      'entity',
      'recordId',
    ]);
    const anonymous = await fetch(`${chain.sessions.httpUrl}/api/v1/sessions`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
  });

  it('offers choices filled from a query over gRPC: record ids with their names, and the entity they are of', async () => {
    const contactId = await chain.contact('Frances', 'Allen');
    const created = await chain.gateway$('POST', '/api/v1/records/incident', {
      title: 'Compiler crash',
      customerid: { entity: 'contact', id: contactId },
    });
    const client = chain.grpc(ALICE);
    const started = await startOverGrpc(client, contactId);
    const fine = await client.submitPage({
      sessionId: started.session!.id,
      pageId: 'satisfaction',
      answersJson: '{"score": 2}',
      pageToken: 1,
    });
    expect(fine.page!.prompts.find((prompt) => prompt.id === 'aboutCase')).toMatchObject({
      responseType: 'lookup',
      required: false,
      lookupEntity: 'incident',
      options: [{ value: String(created.body['id']), label: 'Compiler crash' }],
    });
    // The id alone answers it; the session keeps a reference to the record.
    const done = await client.submitPage({
      sessionId: started.session!.id,
      pageId: 'call-back',
      answersJson: JSON.stringify({ wantsCall: 0, aboutCase: String(created.body['id']) }),
      pageToken: fine.session!.rowVersion,
    });
    expect(done.session).toMatchObject({ state: 1, status: 4 });
    expect(JSON.parse(done.session!.answersJson)).toMatchObject({
      'call-back': { aboutCase: { entity: 'incident', id: String(created.body['id']) } },
    });
    expect(done.summary.find((item) => item.promptId === 'aboutCase')).toMatchObject({ answerLabel: 'Compiler crash' });
  });

  it('offers the same over gRPC: start by unique name, answers as JSON, field violations in the trailer, the log, lists', async () => {
    const contactId = await chain.contact('Margaret', 'Hamilton');
    const client = chain.grpc(ALICE);
    const started = await startOverGrpc(client, contactId);
    expect(started.session).toMatchObject({ state: 0, status: 2, statusName: 'In Progress', currentPageId: 'satisfaction', rowVersion: 1 });
    expect(started.page).toMatchObject({ id: 'satisfaction', canGoBack: false, last: false });
    expect(started.page!.prompts[0]).toMatchObject({
      id: 'score',
      responseType: 'optionSet',
      required: true,
      display: 'radio',
      options: [
        { value: '1', label: 'Unhappy' },
        { value: '2', label: 'Fine' },
        { value: '3', label: 'Delighted' },
      ],
    });
    const refused = await client
      .submitPage({ sessionId: started.session!.id, pageId: 'satisfaction', answersJson: '{"score": 7}', pageToken: 1 })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RpcCallError);
    expect(refused).toMatchObject({
      grpcCode: 3,
      code: 'ANSWERS_INVALID',
      violations: [
        { field: 'answers.score', description: "expected one of 1 (Unhappy), 2 (Fine), 3 (Delighted), got '7'", code: 'ANSWER_INVALID' },
      ],
    });
    const thanks = await client.submitPage({
      sessionId: started.session!.id,
      pageId: 'satisfaction',
      answersJson: '{"score": 3}',
      pageToken: 1,
    });
    expect(thanks.page).toMatchObject({ id: 'thanks', canGoBack: true, last: true });
    const back = await client.previousPage({ sessionId: started.session!.id, pageToken: thanks.session!.rowVersion });
    expect(back.page!.prompts[0]!.answerJson).toBe('3');
    const canceled = await client.cancelSession({ sessionId: started.session!.id, pageToken: 0, reason: 'asked again later' });
    expect(canceled.session).toMatchObject({ state: 0, status: 5, outcomeMessage: 'asked again later' });

    const detailed = await client.getSession({ sessionId: started.session!.id });
    expect(detailed.actions.map((action) => action.kind)).toEqual([
      'pageShown',
      'pageAnswered',
      'pageShown',
      'previousPage',
      'pageShown',
      'canceled',
    ]);
    expect(JSON.parse(detailed.actions[1]!.detailJson)).toMatchObject({ pageId: 'satisfaction', answers: { score: 3 } });
    const listed = await client.listSessions({
      page: { pageSize: 10, pageToken: '' },
      dialog: { id: '', uniqueName: 'customer-survey' },
      entity: 'contact',
      recordId: contactId,
      startedBy: '',
      filterByState: true,
      state: 0,
      status: 5,
    });
    expect(listed.sessions.map((session) => session.id)).toEqual([started.session!.id]);
    const denied = await chain
      .grpc(BOB)
      .getSession({ sessionId: started.session!.id })
      .catch((error: unknown) => error);
    expect(denied).toMatchObject({ grpcCode: 7, code: 'NOT_YOUR_SESSION' });
  });

  it('counts sessions by status on /metrics', async () => {
    const read = async () => {
      const text = await (await fetch(`${chain.sessions.httpUrl}/metrics`)).text();
      const value = (series: string) => {
        const line = text.split('\n').find((l) => l.startsWith(`${series} `));
        return line ? Number(line.slice(series.length + 1)) : 0;
      };
      return {
        started: value('flowline_session_sessions_total{status="in_progress",service="session-service"}'),
        canceled: value('flowline_session_sessions_total{status="canceled",service="session-service"}'),
        invalid: value('flowline_session_page_submissions_total{outcome="invalid",service="session-service"}'),
      };
    };
    const before = await read();
    // This test's own session: started, one invalid page, then canceled twice (the second is replayed).
    const view = await start(await chain.contact('Metric', 'Counted'));
    expect((await submit(view, { score: 'not a number' })).status).toBe(400);
    const canceled = await chain.api('POST', `/api/v1/sessions/${view.session.id}/cancel`, { pageToken: view.session.rowVersion });
    expect(canceled.status).toBe(200);
    expect((await chain.api('POST', `/api/v1/sessions/${view.session.id}/cancel`, {})).body).toMatchObject({ replayed: true });
    const after = await waitFor(
      async () => {
        const now = await read();
        return now.canceled > before.canceled ? now : undefined;
      },
      { what: 'the canceled counter to move' },
    );
    expect(after.started - before.started).toBe(1);
    expect(after.canceled - before.canceled).toBe(1);
    expect(after.invalid - before.invalid).toBe(1);
    const text = await (await fetch(`${chain.sessions.httpUrl}/metrics`)).text();
    expect(text).toMatch(/flowline_session_sessions_current\{state="incomplete",status="canceled",service="session-service"\} [1-9]/);
  });
});
