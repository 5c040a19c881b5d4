/**
 * The dialog runner in a real browser (headless Chromium through playwright-core), against
 * the real chain: a person opens the dialog's URL, answers every page, goes back once, fixes a
 * refused answer, finishes, and the record the dialog created is in the gateway. A screenshot
 * of each page goes to test-output/screenshots/session-service/.
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { testToken } from '@flowline/service-testing';
import { REPO_ROOT, waitFor, SERVICE_START_TIMEOUT_MS } from '@flowline/testing';
import { startSessionChain, type SessionChain } from '../../test/session-chain';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(REPO_ROOT, 'test-output/screenshots/session-service');

describe('the dialog runner page in a browser', () => {
  let chain: SessionChain;
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    chain = await startSessionChain('runner');
    // Root (CI) cannot use Chromium's sandbox; the pages are our own.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await browser?.close();
    await chain?.stop();
  });

  const token = testToken(['user'], 'alice');
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const sessionIdOf = (page: Page) => new URL(page.url()).searchParams.get('session');

  it('runs the survey from its URL: every page answered, back once, a refused answer fixed, finished with a summary and a created task', async () => {
    const contactId = await chain.contact('Ada', 'Lovelace');
    const caseIds: string[] = [];
    for (const title of ['Printer jam', 'Invoice wrong']) {
      const created = await chain.gateway$('POST', '/api/v1/records/incident', { title, customerid: { entity: 'contact', id: contactId } });
      expect(created.status).toBe(201);
      caseIds.push(String(created.body['id']));
    }
    const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${chain.sessions.httpUrl}/dialogs/customer-survey/run?entity=contact&id=${contactId}&token=${token}`);

    await page.getByRole('heading', { name: 'How did we do?' }).waitFor();
    // The token left the address bar for the tab's storage; the session id took its place.
    await waitFor(() => sessionIdOf(page), { what: 'the session id in the address' });
    expect(page.url()).not.toContain('token=');
    expect(await page.title()).toBe('How did we do? · Customer survey');
    const satisfaction = page.getByRole('group', { name: 'How satisfied are you, Ada? (required)' });
    expect(await satisfaction.getByRole('radio').count()).toBe(3);
    expect(await page.getByRole('button', { name: 'Previous' }).count()).toBe(0);
    await shot(page, '01-satisfaction');
    await page.getByRole('radio', { name: 'Fine' }).check();
    await page.getByRole('button', { name: 'Next' }).click();

    await page.getByRole('heading', { name: 'Shall we call you?' }).waitFor();
    expect(await page.getByRole('group', { name: /You have 2 open case\(s\) with us/ }).count()).toBe(1);
    // The choice of case is filled from the dialog's query of her open cases.
    const aboutCase = page.getByLabel('Is the call about one of your open cases?');
    expect((await aboutCase.locator('option').allInnerTexts()).sort()).toEqual(['Choose…', 'Invoice wrong', 'Printer jam']);
    await shot(page, '02-call-back');
    await page.getByRole('button', { name: 'Previous' }).click();

    await page.getByRole('heading', { name: 'How did we do?' }).waitFor();
    expect(await page.getByRole('radio', { name: 'Fine' }).isChecked()).toBe(true);
    await shot(page, '03-back-to-satisfaction');
    await page.getByRole('button', { name: 'Next' }).click();

    await page.getByRole('heading', { name: 'Shall we call you?' }).waitFor();
    await page.getByRole('radio', { name: 'Yes' }).check();
    await page.getByLabel('On which day?').fill('2026-12-01');
    await page.getByLabel('How many orders did you place with us this year?').fill('lots');
    await page.getByLabel('How do you usually order?').selectOption({ label: 'Website' });
    await aboutCase.selectOption({ label: 'Printer jam' });
    await page.getByRole('button', { name: 'Finish' }).click();

    const orders = page.getByLabel('How many orders did you place with us this year?');
    await page.getByText("expected a whole number, got 'lots'", { exact: true }).waitFor();
    expect(await orders.getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('alert').filter({ hasText: 'One answer needs correcting' }).count()).toBe(1);
    expect(
      await orders.evaluate((input) => input === (input as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement),
    ).toBe(true);
    await shot(page, '04-refused-answer');
    await orders.fill('12');
    await page.getByRole('button', { name: 'Finish' }).click();

    await page.getByRole('heading', { name: 'Done: thank you!' }).waitFor();
    const summary = await page.locator('dl.summary').innerText();
    for (const expected of [
      'How satisfied are you, Ada?',
      'Fine',
      'Would you like a call back?',
      'Yes',
      '2026-12-01',
      '12',
      'Website',
      'Printer jam',
    ])
      expect(summary).toContain(expected);
    await shot(page, '05-summary');

    // The task is in the gateway, made through the pipeline as the person.
    const tasks = (await chain.gateway$('GET', `/api/v1/records/task?subject=${encodeURIComponent('Call back Ada Lovelace')}`)).body[
      'records'
    ] as Array<Record<string, unknown>>;
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({
      description: '12 order(s) this year, usually by web.',
      createdby: 'alice',
      regardingobjectid: { entity: 'incident', id: caseIds[0] },
    });

    const sessionId = sessionIdOf(page)!;
    const log = (await chain.api('GET', `/api/v1/sessions/${sessionId}`)).body as {
      session: { state: number; status: number };
      actions: Array<{ kind: string; stepId: string | null }>;
    };
    expect(log.session).toMatchObject({ state: 1, status: 4 });
    expect(log.actions.map((action) => action.kind)).toEqual([
      'pageShown',
      'pageAnswered',
      'recordsQueried',
      'pageShown',
      'previousPage',
      'pageShown',
      'pageAnswered',
      'recordsQueried',
      'pageShown',
      'pageAnswered',
      'variableAssigned',
      'recordCreated',
      'completed',
    ]);

    // A refresh shows where the session is: finished.
    await page.reload();
    await page.getByRole('heading', { name: 'Done: thank you!' }).waitFor();
    await context.close();
  });

  it('finds a company by name for a lookup, from the keyboard, and opens the case for it', async () => {
    const tag = Math.random().toString(36).slice(2, 8);
    const accounts: Record<string, string> = {};
    for (const name of [`Northwind ${tag} Traders`, `Northwind ${tag} Foods`]) {
      const created = await chain.gateway$('POST', '/api/v1/records/account', { name });
      expect(created.status).toBe(201);
      accounts[name] = String(created.body['id']);
    }
    const contactId = await chain.contact('Katherine', 'Johnson');
    const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${chain.sessions.httpUrl}/dialogs/customer-survey/run?entity=contact&id=${contactId}&token=${token}`);
    await page.getByRole('radio', { name: 'Unhappy' }).check();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('What went wrong?').fill('A damaged parcel');

    // Enter in the search box searches; it does not send the page.
    const search = page.getByRole('searchbox', { name: 'Were you buying for a company? Find it here.' });
    await search.fill(`northwind ${tag}`);
    await search.press('Enter');
    const results = page.getByRole('group', { name: 'Matching account records' });
    await results.getByRole('radio').first().waitFor();
    expect(await results.locator('label').allInnerTexts()).toEqual([`Northwind ${tag} Foods`, `Northwind ${tag} Traders`]);
    expect(await page.getByLabel('What went wrong?').inputValue()).toBe('A damaged parcel'); // still on the page
    await results.getByRole('radio', { name: `Northwind ${tag} Traders` }).check();
    await page.getByText(`Chosen: Northwind ${tag} Traders`).waitFor();
    await shot(page, '08-lookup-search');
    await page.getByRole('button', { name: 'Finish' }).click();

    await page.getByRole('heading', { name: 'Done: thank you!' }).waitFor();
    expect(await page.locator('dl.summary').innerText()).toContain(`Northwind ${tag} Traders`);
    const cases = (
      await chain.gateway$('GET', `/api/v1/records/incident?title=${encodeURIComponent('Unhappy customer Katherine Johnson')}`)
    ).body['records'] as Array<Record<string, unknown>>;
    expect(cases).toHaveLength(1);
    expect(cases[0]).toMatchObject({
      customerid: { entity: 'account', id: accounts[`Northwind ${tag} Traders`] },
      description: 'A damaged parcel',
    });
    await context.close();
  });

  it('resumes a session in a second tab from its URL, and cancels it after asking', async () => {
    const contactId = await chain.contact('Hedy', 'Lamarr');
    const context = await browser.newContext({ viewport: { width: 390, height: 800 } });
    const first = await context.newPage();
    await first.goto(`${chain.sessions.httpUrl}/dialogs/customer-survey/run?entity=contact&id=${contactId}&token=${token}`);
    await first.getByRole('heading', { name: 'How did we do?' }).waitFor();
    // Keyboard only: into the radio group, the arrow moves the choice, Enter sends the page.
    await first.getByRole('radio', { name: 'Unhappy' }).focus();
    await first.keyboard.press('ArrowDown');
    await first.keyboard.press('ArrowDown');
    expect(await first.getByRole('radio', { name: 'Delighted' }).isChecked()).toBe(true);
    await first.keyboard.press('Enter');
    await first.getByRole('heading', { name: 'Customer survey' }).waitFor();
    expect(await first.getByLabel('Thank you! Anything else?').count()).toBe(1);
    const sessionId = await waitFor(() => sessionIdOf(first), { what: 'the session id in the address' });

    const second = await context.newPage();
    await second.goto(`${chain.sessions.httpUrl}/dialogs/customer-survey/run?session=${sessionId}&token=${token}`);
    await second.getByLabel('Thank you! Anything else?').waitFor();
    await shot(second, '06-resumed-on-a-phone');
    await second.getByRole('button', { name: 'Cancel' }).click();
    await second.getByRole('button', { name: 'Yes, cancel the dialog' }).click();
    await second.getByRole('heading', { name: 'This dialog was canceled' }).waitFor();
    await shot(second, '07-canceled');

    // The first tab still shows the page: its answer meets a session that has moved on, and it says so.
    await first.getByLabel('Thank you! Anything else?').fill('Too late');
    await first.getByRole('button', { name: 'Finish' }).click();
    await first.getByRole('heading', { name: 'This dialog was canceled' }).waitFor();
    expect(await first.getByRole('status').innerText()).toContain('moved on in another tab');

    const session = (await chain.api('GET', `/api/v1/sessions/${sessionId}`)).body['session'] as Record<string, unknown>;
    expect(session).toMatchObject({ state: 0, status: 5, statusName: 'Canceled', canceledBy: 'alice' });
    await context.close();
  });

  it('asks for a token when it has none', async () => {
    const contactId = await chain.contact('Annie', 'Easley');
    const page = await browser.newPage();
    await page.goto(`${chain.sessions.httpUrl}/dialogs/customer-survey/run?entity=contact&id=${contactId}`);
    await page.getByRole('heading', { name: 'Sign-in needed' }).waitFor();
    await page.close();
  });
});
