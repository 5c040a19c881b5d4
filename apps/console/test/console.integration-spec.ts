/**
 * The operator console in a real browser (headless Chromium through playwright-core) against
 * the four real services: sign-in and roles, system jobs (filters, paging, live updates, a job's
 * page, its actions and refusals, parent and child, bulk actions), definitions (source with
 * errors at their lines, diff, activation), dead letters (edit, replay, discard), dialogs and
 * health. A screenshot of each view goes to test-output/console/.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { parse as parseYaml } from 'yaml';
import { signToken, type Role } from '@flowline/auth';
import { DOMAIN_EVENT_TYPE, Topics } from '@flowline/contracts';
import { createEnvelope } from '@flowline/messaging';
import { startServiceForTest, testToken } from '@flowline/service-testing';
import { REPO_ROOT, SERVICE_START_TIMEOUT_MS, waitFor } from '@flowline/testing';
import { CONSOLE_DIR, ensureConsoleBuilt, startConsoleChain, type ConsoleChain } from './console-chain';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOTS = path.join(REPO_ROOT, 'test-output/console');

const WAIT = `schemaVersion: 1
name: Console wait
uniqueName: console-wait
category: workflow
primaryEntity: contact
triggers:
  - on: create
steps:
  - id: three-days
    type: waitTimeout
    duration: P3D
  - id: mark
    type: updateRecord
    set:
      jobtitle: waited
`;

const FAIL = `schemaVersion: 1
name: Console fail
uniqueName: console-fail
category: workflow
primaryEntity: account
triggers:
  - on: create
steps:
  - id: note
    type: createRecord
    entity: task
    set:
      subject: A broken account
  - id: raise-parent
    type: updateRecord
    record: { lookup: parentaccountid }
    set:
      description: touched
`;

const CHILD = `schemaVersion: 1
name: Console child
uniqueName: console-child
category: workflow
primaryEntity: contact
availableAsChild: true
steps:
  - id: wait-a-week
    type: waitTimeout
    duration: P7D
`;

const PARENT = `schemaVersion: 1
name: Console parent
uniqueName: console-parent
category: workflow
primaryEntity: contact
triggers:
  - on: update
    attributes: [jobtitle]
steps:
  - id: child
    type: startChild
    workflow: console-child
    wait: true
`;

/** What the tests read of the page's globals (the type-check of tests has no DOM library). */
interface BrowserGlobals {
  location: { hash: string };
  sessionStorage: { getItem(key: string): string | null };
  localStorage: { length: number };
}

interface Operation {
  id: string;
  name: string;
  state: number;
  status: number;
  regardingId: string;
  parentOperationId: string;
}

describe('the operator console in a browser', () => {
  let chain: ConsoleChain;
  let browser: Browser;
  const definitionIds: Record<string, string> = {};

  const save = async (source: string, activate = true): Promise<string> => {
    const saved = await chain.call('registry', 'POST', '/api/v1/definitions', parseYaml(source));
    if (saved.status !== 200) throw new Error(`not saved: ${JSON.stringify(saved.body)}`);
    const id = String(saved.body['id']);
    if (activate) {
      const activated = await chain.call('registry', 'POST', `/api/v1/definitions/${id}/activate`);
      if (activated.status !== 200) throw new Error(`not activated: ${JSON.stringify(activated.body)}`);
    }
    return id;
  };
  const record = async (entity: string, body: Record<string, unknown>): Promise<string> => {
    const created = await chain.call('gateway', 'POST', `/api/v1/records/${entity}`, body, ['user']);
    if (created.status !== 201) throw new Error(`${entity} not created: ${JSON.stringify(created.body)}`);
    return String(created.body['id']);
  };
  const operations = async (query: string): Promise<Operation[]> =>
    (await chain.call('executor', 'GET', `/api/v1/operations?${query}`)).body['operations'] as Operation[];

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    ensureConsoleBuilt();
    chain = await startConsoleChain('console');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    definitionIds['wait'] = await save(WAIT);
    definitionIds['fail'] = await save(FAIL);
    definitionIds['child'] = await save(CHILD);
    definitionIds['parent'] = await save(PARENT);
    await save(readFileSync(path.join(REPO_ROOT, 'examples/customer-survey.dialog.yaml'), 'utf8'));
  }, SERVICE_START_TIMEOUT_MS * 2);
  afterAll(async () => {
    await browser?.close();
    await chain?.stop();
  });

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const contexts: BrowserContext[] = [];
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });
  const open = async (viewport = { width: 1280, height: 900 }): Promise<Page> => {
    const context = await browser.newContext({ viewport });
    contexts.push(context);
    return context.newPage();
  };
  /** Signs in on the console with a token of these roles and waits for the navigation. */
  const signIn = async (roles: Role[], subject = `console-${roles.join('-')}`, page?: Page): Promise<Page> => {
    const tab = page ?? (await open());
    await tab.goto(chain.url);
    await tab.getByLabel('Access token').fill(testToken(roles, subject));
    await tab.getByRole('button', { name: 'Sign in' }).click();
    await tab.getByRole('navigation', { name: 'Sections' }).waitFor();
    return tab;
  };
  const go = async (page: Page, hash: string) => {
    await page.evaluate((to) => ((globalThis as unknown as BrowserGlobals).location.hash = to), hash);
  };
  const sections = (page: Page) => page.getByRole('navigation', { name: 'Sections' }).getByRole('link').allInnerTexts();

  it('signs in with a token kept for the tab only, refuses a bad one, and shows only what the role may do', async () => {
    const page = await open();
    await page.goto(chain.url);
    await page.getByRole('heading', { name: 'Flowline console' }).waitFor();
    await page.getByLabel('Access token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'This is not a token' }).waitFor();
    // A token the services do not trust: the session service says so.
    const forged = signToken('a-secret-no-service-knows-0123456789', { subject: 'mallory', roles: ['admin'], expiresInSeconds: 600 });
    await page.getByLabel('Access token').fill(forged);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Not signed in' }).waitFor();
    expect(await page.getByRole('alert').innerText()).toContain('UNAUTHENTICATED');
    await shot(page, '01-sign-in-refused');

    await signIn(['user'], 'ursula', page);
    expect(await sections(page)).toEqual(['Definitions', 'Dialogs']);
    expect(await page.getByText('Signed in as').innerText()).toContain('ursula (user)');
    // The token is in this tab's sessionStorage, nowhere else.
    expect(
      await page.evaluate(() => {
        const { sessionStorage, localStorage } = globalThis as unknown as BrowserGlobals;
        return [sessionStorage.getItem('flowline.console.token') !== null, localStorage.length];
      }),
    ).toEqual([true, 0]);
    await go(page, '#/jobs');
    await page.getByRole('alert').filter({ hasText: 'may not see system jobs' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Access token').waitFor();
    expect(
      await page.evaluate(() => (globalThis as unknown as BrowserGlobals).sessionStorage.getItem('flowline.console.token')),
    ).toBeNull();

    await signIn(['operator'], 'olga', page);
    expect(await sections(page)).toEqual(['System jobs', 'Definitions', 'Dead letters', 'Dialogs', 'Health']);
    await page.getByRole('heading', { name: 'System jobs' }).waitFor();
    // A new tab of another browser context starts signed out.
    const other = await open();
    await other.goto(chain.url);
    await other.getByLabel('Access token').waitFor();
  });

  it('lists system jobs with filters and paging, and shows new ones while open', async () => {
    const tag = randomUUID().slice(0, 8);
    const contacts: string[] = [];
    for (let i = 0; i < 3; i++) contacts.push(await record('contact', { lastname: `Waiter ${tag} ${i}` }));
    const mine = `definitionId=${definitionIds['wait']}&state=1`;
    await waitFor(async () => ((await operations(mine)).filter((o) => contacts.includes(o.regardingId)).length === 3 ? true : undefined), {
      timeoutMs: 60_000,
      what: 'three Suspended console-wait jobs',
    });
    const page = await signIn(['operator']);
    await page.getByLabel('Definition id').fill(definitionIds['wait']!);
    await page.getByRole('group', { name: 'State' }).getByLabel('Suspended').check();
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await waitFor(() => page.url().includes(`definitionId=${definitionIds['wait']}`) || undefined, { what: 'the filter in the address' });
    expect(page.url()).toContain('state=1');
    const rows = page.locator('tbody tr');
    await waitFor(async () => ((await rows.count()) >= 3 ? true : undefined), { what: 'the filtered rows' });
    const total = await rows.count();
    for (let i = 0; i < total; i++) expect(await rows.nth(i).innerText()).toContain('Suspended · Waiting');
    expect(await page.locator('tbody').innerText()).toContain(contacts[0]);
    await shot(page, '02-jobs-list');

    // Server-side pages of two, forward and back.
    await go(page, `#/jobs?definitionId=${definitionIds['wait']}&state=1&pageSize=2`);
    await waitFor(async () => ((await rows.count()) === 2 ? true : undefined), { what: 'a page of two' });
    const firstPage = await page.locator('tbody').innerText();
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('Page 2').waitFor();
    await waitFor(async () => ((await page.locator('tbody').innerText()) !== firstPage ? true : undefined), { what: 'the second page' });
    await page.getByRole('button', { name: 'Previous page' }).click();
    await page.getByText('Page 1').waitFor();
    await waitFor(async () => ((await page.locator('tbody').innerText()) === firstPage ? true : undefined), {
      what: 'the first page again',
    });

    // Live: a job created while the list is open appears without a reload.
    await go(page, `#/jobs?definitionId=${definitionIds['wait']}&state=1&pageSize=100`);
    await waitFor(async () => ((await rows.count()) === total ? true : undefined), { what: 'every row' });
    const late = await record('contact', { lastname: `Late ${tag}` });
    await page.locator('tbody tr', { hasText: late }).waitFor({ timeout: 60_000 });

    // Sorting and the text filter, where the executor offers them (its OpenAPI document says so).
    const document = (await (await fetch(`${chain.executor.httpUrl}/openapi.json`)).json()) as {
      paths: Record<string, { get?: { parameters?: Array<{ name: string }> } }>;
    };
    const listParameters = (document.paths['/api/v1/operations']?.get?.parameters ?? []).map((parameter) => parameter.name);
    if (listParameters.includes('sort')) {
      await page.getByLabel('Sort').selectOption({ label: 'Oldest first' });
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await waitFor(() => page.url().includes('sort=createdOn') || undefined, { what: 'the sort in the address' });
      await waitFor(async () => ((await rows.first().innerText()).includes(contacts[0]!) ? true : undefined), {
        what: 'the oldest job first',
      });
      await page.getByLabel('Sort').selectOption({ label: 'Newest first' });
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await waitFor(async () => ((await rows.first().innerText()).includes(late) ? true : undefined), { what: 'the newest job first' });
    }
    if (listParameters.includes('text')) {
      await go(page, `#/jobs?definitionId=${definitionIds['wait']}&text=no-such-job-name`);
      await page.getByText('No system jobs match.').waitFor();
      await go(page, `#/jobs?definitionId=${definitionIds['wait']}&text=CONSOLE-WA`);
      await waitFor(async () => ((await rows.count()) === total + 1 ? true : undefined), { what: 'every job by its name, any case' });
    }

    // The record filter: only that record's job.
    await go(page, `#/jobs?definitionId=${definitionIds['wait']}&recordId=${contacts[1]}`);
    await waitFor(async () => ((await rows.count()) === 1 ? true : undefined), { what: 'the one job of that record' });

    // A phone's width: the table scrolls inside its box, the filters stack.
    const phone = await signIn(['operator'], 'olga', await open({ width: 390, height: 844 }));
    await go(phone, `#/jobs?definitionId=${definitionIds['wait']}`);
    await phone.locator('tbody tr').first().waitFor();
    await shot(phone, '03-jobs-list-phone');
  });

  it("shows a job's page with its record, definition and step log, refuses an action its state does not allow, and cancels it", async () => {
    const contact = await record('contact', { lastname: `Single ${randomUUID().slice(0, 8)}` });
    const [job] = await waitFor(
      async () => {
        const found = await operations(`definitionId=${definitionIds['wait']}&recordId=${contact}&state=1`);
        return found.length ? found : undefined;
      },
      { timeoutMs: 60_000, what: 'the Suspended job' },
    );
    const page = await signIn(['operator']);
    await go(page, `#/jobs?recordId=${contact}`);
    await page.locator('tbody a').first().click();
    await page.getByRole('heading', { name: job!.name }).waitFor();
    expect(await page.locator('dl.details').innerText()).toContain(`contact ${contact}`);
    expect(await page.locator('dl.details').innerText()).toContain(`${definitionIds['wait']}, version 1`);
    // What started it: the Create of the contact, as the event left the record.
    const started = page.getByRole('region', { name: 'Triggering event' });
    expect(await started.innerText()).toContain('Create');
    const log = page.getByRole('region', { name: 'Step log' });
    await log.getByText('three-days').waitFor();
    expect(await log.innerText()).toContain('Waiting');
    // A Suspended job may be resumed, canceled or postponed; not paused or retried.
    const actions = page.getByRole('region', { name: 'Actions' });
    expect(await actions.getByRole('button').allInnerTexts()).toEqual(['Resume', 'Cancel', 'Postpone']);

    // A postpone into the past is refused, and the refusal is shown in the service's words.
    await page.getByLabel('Postpone until').fill('2020-01-01T10:00');
    await actions.getByRole('button', { name: 'Postpone' }).click();
    const refusal = actions.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.innerText()).toContain('Refused');
    expect(await refusal.innerText()).toContain('POSTPONE_INVALID');
    await shot(page, '04-job-refused');

    await actions.getByRole('button', { name: 'Cancel' }).click();
    await actions.getByText('Cancel: the job is now Completed (Canceled).').waitFor();
    await page.getByText('Nothing can be done with a job that is canceled.').waitFor();
    expect(await page.locator('.badge').first().innerText()).toBe('Completed · Canceled');
    await shot(page, '05-job-canceled');
  });

  it('shows a failed job with its error in the step log and retries it', async () => {
    const account = await record('account', { name: `Broken ${randomUUID().slice(0, 8)}`, telephone1: '555-0100' });
    const [job] = await waitFor(
      async () => {
        const found = await operations(`definitionId=${definitionIds['fail']}&recordId=${account}&state=3`);
        return found.length ? found : undefined;
      },
      { timeoutMs: 60_000, what: 'the Failed job' },
    );
    expect(job!.status).toBe(31);
    const page = await signIn(['operator']);
    await go(page, `#/jobs/${job!.id}`);
    await page.getByRole('heading', { name: job!.name }).waitFor();
    const log = page.getByRole('region', { name: 'Step log' });
    await log.getByText('raise-parent (updateRecord)').waitFor();
    expect(await log.locator('.error-text').count()).toBeGreaterThan(0);
    expect(await log.innerText()).toContain('Failed');
    // What the steps before the failure gave: the task's id, among the step outputs.
    expect(await page.getByRole('region', { name: 'Step outputs' }).innerText()).toContain('"note"');
    await shot(page, '06-job-failed');
    // Its trace as a timeline, from the services' trace files: the gateway's Create through the executor's run.
    const trace = page.getByRole('region', { name: 'Trace' });
    expect(await trace.getByRole('link', { name: 'Open this trace in the trace viewer' }).getAttribute('href')).toMatch(
      /^https:\/\/traces\.example\/trace\/[0-9a-f]{32}$/,
    );
    await waitFor(
      async () => {
        const table = trace.getByRole('table');
        if ((await table.count()) === 0) {
          await trace.getByRole('button', { name: 'Look again' }).click();
          return undefined;
        }
        const text = await table.innerText();
        return text.includes('event-gateway') && text.includes('async-executor') ? text : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 1000, what: "the job's trace in the console, from both services" },
    );
    await shot(page, '06b-job-trace');
    const actions = page.getByRole('region', { name: 'Actions' });
    expect(await actions.getByRole('button').allInnerTexts()).toEqual(['Retry']);
    const failedAt = ((await chain.call('executor', 'GET', `/api/v1/operations/${job!.id}`)).body['operation'] as { completedOn: string })
      .completedOn;
    await actions.getByRole('button', { name: 'Retry' }).click();
    await actions.getByText(/^Retry: the job is now/).waitFor();
    // It runs again, and fails again (the record still has no parent account); the page follows it.
    await waitFor(
      async () => {
        const after = (await chain.call('executor', 'GET', `/api/v1/operations/${job!.id}`)).body['operation'] as {
          status: number;
          completedOn: string;
        };
        return after.status === 31 && after.completedOn !== failedAt ? true : undefined;
      },
      { timeoutMs: 60_000, what: 'the retried run to fail again' },
    );
    await page.locator('.badge', { hasText: 'Completed · Failed' }).first().waitFor({ timeout: 30_000 });
    await actions.getByRole('button', { name: 'Retry' }).waitFor({ timeout: 30_000 });
  });

  it('links a child job to its parent, and a parent to its children when the executor lists them', async () => {
    const contact = await record('contact', { lastname: `Parent ${randomUUID().slice(0, 8)}` });
    const updated = await chain.call('gateway', 'PATCH', `/api/v1/records/contact/${contact}`, { jobtitle: 'boss' }, ['user']);
    expect(updated.status).toBe(200);
    const [child] = await waitFor(
      async () => {
        const found = await operations(`definitionId=${definitionIds['child']}&recordId=${contact}`);
        return found.length ? found : undefined;
      },
      { timeoutMs: 60_000, what: 'the child job' },
    );
    const page = await signIn(['operator']);
    await go(page, `#/jobs/${child!.id}`);
    await page.getByRole('heading', { name: child!.name }).waitFor();
    expect(child!.parentOperationId).not.toBe('');
    await page.locator('dt:has-text("Parent job") + dd a').click();
    await page.getByRole('heading', { name: /Console parent|console-parent/ }).waitFor();
    expect(page.url()).toContain(`#/jobs/${child!.parentOperationId}`);
    const children = page.getByRole('region', { name: 'Child jobs' });
    const listed = await children.getByRole('link').count();
    if (listed > 0) expect(await children.innerText()).toContain(child!.name);
    else await children.getByText('This executor does not list child jobs.').waitFor();
    await shot(page, '07-job-parent');
  });

  it('counts the jobs a filter matches, asks, runs a bulk cancel and shows its progress', async () => {
    const tag = randomUUID().slice(0, 8);
    const contacts: string[] = [];
    for (let i = 0; i < 2; i++) contacts.push(await record('contact', { lastname: `Bulk ${tag} ${i}` }));
    await waitFor(
      async () =>
        (await operations(`definitionId=${definitionIds['wait']}&state=1&pageSize=500`)).filter((o) => contacts.includes(o.regardingId))
          .length === 2
          ? true
          : undefined,
      { timeoutMs: 60_000, what: 'the jobs to cancel' },
    );
    const matching = (await operations(`definitionId=${definitionIds['wait']}&state=1&pageSize=500`)).length;
    const page = await signIn(['operator']);
    await go(page, `#/jobs?definitionId=${definitionIds['wait']}&state=1`);
    const bulk = page.getByRole('region', { name: 'Act on all matching jobs' });
    await bulk.getByLabel('Action').selectOption('cancel');
    await bulk.getByRole('button', { name: 'Count matching jobs' }).click();
    const confirm = bulk.getByRole('group', { name: 'Confirm the bulk action' });
    await confirm.waitFor();
    expect(await confirm.innerText()).toContain(`${matching} job(s) match now (${matching} Suspended)`);
    await shot(page, '08-bulk-confirm');
    await confirm.getByRole('button', { name: `Cancel ${matching} job(s)` }).click();
    await bulk.getByText(`${matching} of ${matching} done: ${matching} applied, 0 refused.`).waitFor({ timeout: 60_000 });
    await bulk.getByText('Completed · Succeeded').waitFor();
    await shot(page, '09-bulk-done');
    expect(await operations(`definitionId=${definitionIds['wait']}&state=1`)).toEqual([]);
  });

  it("shows definitions with state and version, a source's errors at their lines, the difference between versions, and (de)activates", async () => {
    const page = await signIn(['author'], 'ada');
    await go(page, '#/definitions');
    const row = page.locator('tbody tr', { hasText: 'console-wait' });
    await row.waitFor();
    expect(await row.innerText()).toMatch(/Console wait\s+console-wait\s+Workflow\s+contact\s+Activated\s+1/);
    await shot(page, '10-definitions');
    await row.getByRole('link', { name: 'Console wait' }).click();
    await page.getByRole('heading', { name: 'Console wait' }).waitFor();
    const source = page.getByRole('list', { name: 'Source, by line' });
    // The line of the first step's type, as the console shows the saved source (numbered from 1).
    const lines = await source.locator('li').allInnerTexts();
    const WAIT_TYPE_LINE = lines.findIndex((line) => line.includes('type: waitTimeout')) + 1;
    expect(WAIT_TYPE_LINE).toBeGreaterThan(0);

    // Break a step's type: the registry's error is shown at its line.
    await page.getByRole('button', { name: 'Edit to check a change' }).click();
    const editor = page.getByLabel('YAML source (changes here are checked, not saved)');
    await editor.fill((await editor.inputValue()).replace('type: waitTimeout', 'type: notAStep'));
    await page.getByRole('button', { name: 'Check' }).click();
    const problems = page.getByRole('alert').filter({ hasText: 'problem(s)' });
    await problems.waitFor();
    expect(await problems.innerText()).toContain(`Line ${WAIT_TYPE_LINE}`);
    await page.getByRole('button', { name: 'Show with line numbers' }).click();
    const broken = source.locator('li.has-error');
    expect(await broken.count()).toBeGreaterThan(0);
    expect(await broken.first().innerText()).toContain(`Line ${WAIT_TYPE_LINE}:`);
    await shot(page, '11-definition-errors');

    // Deactivate, change the Draft, activate: version 2, and the difference from version 1.
    const actions = page.getByRole('region', { name: 'Actions' });
    await actions.getByRole('button', { name: 'Deactivate' }).click();
    await actions.getByText(/^Deactivated: it is a Draft again/).waitFor();
    await page.locator('dl.details').getByText('Draft').waitFor();
    const resaved = await chain.call('registry', 'POST', '/api/v1/definitions', parseYaml(WAIT.replace('P3D', 'P4D')), ['author']);
    expect(resaved.status).toBe(200);
    await page.reload();
    await page.getByRole('region', { name: 'Actions' }).getByRole('button', { name: 'Activate' }).click();
    await page.getByText('Activated: version 2 is the active one.').waitFor();
    await page.getByLabel('From version', { exact: true }).selectOption('1');
    await page.getByLabel('To version', { exact: true }).selectOption('2');
    const diff = page.getByLabel('Difference from version 1 to version 2');
    expect((await diff.locator('.removed').allInnerTexts()).join('\n')).toContain('duration: P3D');
    expect((await diff.locator('.added').allInnerTexts()).join('\n')).toContain('duration: P4D');
    await shot(page, '12-definition-diff');

    // Someone without the author role reads the definition but is offered no action.
    const reader = await signIn(['user'], 'ursula');
    await go(reader, '#/definitions/console-wait');
    await reader.getByRole('heading', { name: 'Console wait' }).waitFor();
    expect(await reader.getByRole('region', { name: 'Actions' }).count()).toBe(0);
  });

  it('lists dead letters with their reasons, edits and replays one, refuses a second replay, and discards another', async () => {
    const keys = [`contact:${randomUUID()}`, `contact:${randomUUID()}`];
    const malformed = createEnvelope({
      type: DOMAIN_EVENT_TYPE,
      schemaVersion: 1,
      source: 'crm',
      correlationId: `console-${randomUUID()}`,
      depth: 1,
      payload: { message: 'Create', entity: 'contact', recordId: 'not-a-uuid', target: { lastname: 'Dead' }, initiatingUserId: 'crm-user' },
    });
    await chain.produce(
      Topics.domainEvents,
      keys.map((key) => ({ key, value: JSON.stringify(malformed) })),
    );
    await waitFor(
      async () => {
        const letters = (await chain.call('executor', 'GET', '/api/v1/dead-letters?pageSize=100')).body['deadLetters'] as Array<{
          key: string;
        }>;
        return keys.every((key) => letters.some((letter) => letter.key === key)) ? true : undefined;
      },
      { timeoutMs: 60_000, what: 'the two dead letters' },
    );
    const page = await signIn(['operator']);
    await go(page, '#/dead-letters');
    const first = page.locator('tbody tr', { hasText: keys[0]! });
    await first.waitFor();
    expect(await first.innerText()).toContain('INVALID_PAYLOAD');
    expect(await first.innerText()).toContain('pending');
    await shot(page, '13-dead-letters');

    await first.getByRole('link').click();
    await page.getByRole('heading', { name: /Dead letter from/ }).waitFor();
    const value = page.getByLabel('Value to replay (JSON, or text)');
    expect(await value.inputValue()).toContain('not-a-uuid');
    const fixedId = randomUUID();
    await value.fill((await value.inputValue()).replace('not-a-uuid', fixedId));
    await page.getByRole('button', { name: 'Save edit' }).click();
    await page.getByText('Saved: the edited value is what a replay sends.').waitFor();
    await page.getByRole('heading', { name: 'Value (edited)' }).waitFor();
    await page.getByRole('button', { name: 'Replay', exact: true }).click();
    await page.getByText('Replayed: the message was written to its topic again.').waitFor();
    await page.locator('dl.details').getByText('replayed').waitFor();
    await shot(page, '14-dead-letter-replayed');
    await page.getByRole('button', { name: 'Replay', exact: true }).click();
    const refused = page.getByRole('alert').filter({ hasText: 'Refused' });
    await refused.waitFor();
    expect(await refused.innerText()).toContain('DEAD_LETTER_ALREADY_REPLAYED');
    // The edited event reached the gateway: the contact exists under the fixed id.
    await waitFor(
      async () => ((await chain.call('gateway', 'GET', `/api/v1/records/contact/${fixedId}`)).status === 200 ? true : undefined),
      {
        timeoutMs: 60_000,
        what: 'the contact the replayed event created',
      },
    );
    expect(await page.getByRole('list').last().innerText()).toMatch(/edited by [\s\S]*replayed by/);

    await go(page, `#/dead-letters?key=${encodeURIComponent(keys[1]!)}`);
    await page.locator('tbody tr', { hasText: keys[1]! }).getByRole('link').click();
    await page.getByRole('button', { name: 'Discard' }).click();
    await page.getByRole('group', { name: 'Confirm discard' }).getByRole('button', { name: 'Yes, discard' }).click();
    await page.getByText('Discarded.').waitFor();
    await page.locator('dl.details').getByText('discarded').waitFor();
  });

  it('lists dialog sessions with their status, shows one with its action log, and runs a dialog on a record', async () => {
    const contact = await record('contact', { firstname: 'Ada', lastname: `Survey ${randomUUID().slice(0, 8)}`, fullname: 'Ada Survey' });
    const started = await chain.call(
      'sessions',
      'POST',
      '/api/v1/sessions',
      { dialog: 'customer-survey', entity: 'contact', recordId: contact },
      ['user'],
    );
    expect(started.status).toBe(201);
    const page = await signIn(['operator']);
    await go(page, `#/dialogs?recordId=${contact}`);
    const row = page.locator('tbody tr', { hasText: contact });
    await row.waitFor();
    expect(await row.innerText()).toContain('Incomplete · In Progress');
    await shot(page, '15-dialogs');
    await row.getByRole('link').click();
    await page.getByRole('heading', { name: 'Action log' }).waitFor();
    expect(await page.locator('tbody').innerText()).toContain('Page shown');
    await shot(page, '16-dialog-session');

    await go(page, '#/dialogs');
    await page.getByLabel('Dialog', { exact: true }).selectOption('customer-survey');
    await page.getByLabel('contact record id').fill(contact);
    await page.getByRole('button', { name: 'Run the dialog' }).click();
    // The dialog runner, on the same record, signed in with the console's token.
    await page.getByRole('heading', { name: 'How did we do?' }).waitFor();
    expect(page.url()).toContain(`/dialogs/customer-survey/run?entity=contact&id=${contact}`);
  });

  it("shows each service's readiness, and the executor's last hour as charts when it keeps a history", async () => {
    const page = await signIn(['operator']);
    await go(page, '#/health');
    const readiness = page.locator('ul.readiness li');
    await waitFor(async () => ((await readiness.count()) === 4 ? true : undefined), { what: 'four services' });
    for (const name of ['Event gateway', 'Process registry', 'Async executor', 'Session service'])
      expect(await readiness.filter({ hasText: name }).innerText()).toContain('Ready');
    const history = await chain.call('executor', 'GET', '/api/v1/health/history?window=1h', undefined, ['operator']);
    if (history.status === 200) {
      await page.locator('figure.chart canvas').nth(3).waitFor();
      expect(await page.locator('figure.chart figcaption').allInnerTexts()).toEqual([
        'Queue depth',
        "Oldest ready job's age",
        'Throughput',
        'Consumer lag',
      ]);
    } else {
      expect(history.status).toBe(404);
      await page.getByRole('alert').filter({ hasText: 'This executor has no health history' }).waitFor();
    }
    await shot(page, '17-health');
  });

  it('works from the keyboard: sign-in, the skip link, a filter sent with Enter; every field has a label', async () => {
    const page = await open();
    await page.goto(chain.url);
    await page.getByLabel('Access token').waitFor();
    await page.keyboard.press('Tab');
    expect(
      await page
        .getByLabel('Access token')
        .evaluate(
          (element) => element === (element as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement,
        ),
    ).toBe(true);
    await page.keyboard.type(testToken(['operator'], 'kim'));
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Sections' }).waitFor();
    // A reload keeps the tab signed in, and starts the keyboard at the top of the page.
    await page.reload();
    await page.getByRole('heading', { name: 'System jobs' }).waitFor();
    await page.keyboard.press('Tab');
    const focusedText = () =>
      page.evaluate(() => {
        const active = (globalThis as unknown as { document: { activeElement: { textContent: string; id: string } | null } }).document
          .activeElement;
        return { textContent: active?.textContent ?? '', id: active?.id ?? '' };
      });
    expect((await focusedText()).textContent).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect((await focusedText()).id).toBe('main');
    await page.getByLabel('Text', { exact: true }).focus();
    await page.keyboard.type('console');
    await page.keyboard.press('Enter');
    await waitFor(() => page.url().includes('text=console') || undefined, { what: 'the filter sent with Enter' });
    // Every input, select and textarea of every view has an accessible name.
    for (const hash of ['#/jobs', '#/definitions', '#/dead-letters', '#/dialogs', '#/health']) {
      await go(page, hash);
      await page.locator('h1').first().waitFor();
      const controls = page.locator('input, select, textarea');
      for (let index = 0; index < (await controls.count()); index++) {
        const control = controls.nth(index);
        const named = await control.evaluate(
          (element) =>
            Boolean((element as unknown as { labels: { length: number } | null }).labels?.length) ||
            Boolean((element as unknown as { getAttribute(name: string): string | null }).getAttribute('aria-label')),
        );
        expect({ hash, index, named }).toEqual({ hash, index, named: true });
      }
    }
  });

  it('serves the console with a strict content policy, forwards only API paths, and names a service it cannot reach', async () => {
    const page = await fetch(chain.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const notApi = await fetch(`${chain.sessions.httpUrl}/console/api/executor/metrics`);
    expect(notApi.status).toBe(404);
    const unknown = await fetch(`${chain.sessions.httpUrl}/console/api/nowhere/api/v1/things`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toContain(
      'expected one of registry, gateway, executor',
    );
    const noToken = await fetch(`${chain.sessions.httpUrl}/console/api/executor/api/v1/operations`);
    expect(noToken.status).toBe(401);
    const traversal = await fetch(`${chain.sessions.httpUrl}/console/assets/..%2f..%2fpackage.json`);
    expect(traversal.status).toBe(404);

    // A session service whose executor is not there answers 502 naming it, and its console says so.
    const alone = await startServiceForTest('apps/session-service/src/main.ts', {
      KAFKA_TOPIC_PREFIX: chain.prefix,
      REGISTRY_ADDRESS: chain.registry.grpcAddress,
      GATEWAY_ADDRESS: chain.gateway.grpcAddress,
      CONSOLE_DIR,
      REGISTRY_HTTP_URL: chain.registry.httpUrl,
      GATEWAY_HTTP_URL: chain.gateway.httpUrl,
      EXECUTOR_HTTP_URL: 'http://127.0.0.1:9',
    });
    try {
      const unreachable = await fetch(`${alone.httpUrl}/console/api/executor/api/v1/operations`, {
        headers: { authorization: `Bearer ${testToken(['operator'])}` },
      });
      expect(unreachable.status).toBe(502);
      expect(((await unreachable.json()) as { error: { code: string; message: string } }).error).toMatchObject({
        code: 'UPSTREAM_UNAVAILABLE',
        message: expect.stringContaining('the executor (http://127.0.0.1:9) did not answer'),
      });
      // Another origin (its own port): its own sign-in.
      const page = await open();
      await page.goto(`${alone.httpUrl}/console/#/health`);
      await page.getByLabel('Access token').fill(testToken(['operator'], 'olga'));
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('ul.readiness li', { hasText: 'Async executor' }).getByText('Not ready').waitFor();
      expect(await page.locator('ul.readiness li', { hasText: 'Async executor' }).innerText()).toContain('not reachable');
      await go(page, '#/jobs');
      await page.getByRole('alert').filter({ hasText: 'UPSTREAM_UNAVAILABLE' }).waitFor();
    } finally {
      await alone.stop();
    }
  });
});
