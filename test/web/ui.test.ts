/**
 * The Connect UI in Debian's chromium against the real server (`serve --demo`, embedded emulator, demo
 * world). One browser for the whole file; each test gets its own context (fresh storage).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../src/shared/report.js';
import { SseParser } from '../../src/web/sse.js';
import { describeViolations, findChromium, launch, screenshot, seriousViolations } from './browser.js';
import { builtOutputMissing, type DemoServer, startDemoServer } from './server.js';

const USER = 'svc_sync';
const PASSWORD = 'Connect-Demo-1';
/** The demo company whose svc_sync is a regular user, the kind that can sign in on Intacct's pages. */
const OAUTH_COMPANY = 'regular-user';

const chromiumPath = findChromium();
const missingBuild = builtOutputMissing();
const why = !chromiumPath
  ? 'chromium was not found (set CHROMIUM_PATH or install Debian chromium)'
  : missingBuild
    ? `${missingBuild} is missing (run node scripts/build.mjs)`
    : null;
if (why && process.env.CI === 'true') {
  throw new Error(`Connect UI browser tests cannot run under CI: ${why}`);
}
if (why) {
  console.warn(`\n!!! SKIPPING the Connect UI browser tests: ${why} !!!\n`);
}

describe.skipIf(why !== null)('Connect UI in chromium', () => {
  let server: DemoServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startDemoServer(), launch(chromiumPath!)]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function newPage(options: { colorScheme?: 'light' | 'dark' } = {}): Promise<Page> {
    // axe is injected as an inline script, which the server's CSP rightly forbids; tests only.
    const context = await browser.newContext({
      bypassCSP: true,
      colorScheme: options.colorScheme ?? 'light',
    });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => {
      throw error;
    });
    return page;
  }

  async function expectAccessible(page: Page, name: string): Promise<void> {
    const violations = await seriousViolations(page);
    await screenshot(page, name);
    expect(violations, `${name}: ${describeViolations(violations)}`).toEqual([]);
  }

  /** The outcome the server itself reports for these credentials, to compare the page against. */
  async function serverOutcome(companyId: string): Promise<{ status: string; report: DoctorReport }> {
    const { token } = (await (await fetch(`${server.url}/api/connect/token`, { method: 'POST' })).json()) as {
      token: string;
    };
    const res = await fetch(`${server.url}/api/connect/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ companyId, userId: USER, userPassword: PASSWORD }),
    });
    const parser = new SseParser();
    const events = [...parser.push(await res.text()), ...parser.end()];
    const result = events.find((e) => e.event === 'result');
    if (!result) throw new Error(`no result event for ${companyId}`);
    return JSON.parse(result.data) as { status: string; report: DoctorReport };
  }

  async function fillAndConnect(page: Page, companyId: string, password = PASSWORD): Promise<void> {
    await page.getByLabel('Company ID').fill(companyId);
    await page.getByLabel('User ID').fill(USER);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
  }

  it('healthy company: checks stream in and the page ends in Connected', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/#/connect`);
    await expectAccessible(page, 'form');
    await fillAndConnect(page, 'acme-healthy');
    const status = page.getByRole('status').filter({ hasText: 'Connected' });
    await status.waitFor();
    expect(await status.textContent()).toContain('Connected to acme-healthy');
    const checks = page.getByRole('list', { name: 'Connection checks' }).getByRole('listitem');
    expect(await checks.count()).toBeGreaterThan(3);
    const statuses = await checks.evaluateAll((items) => items.map((li) => li.getAttribute('data-status')));
    expect(statuses.every((s) => s === 'pass' || s === 'warn' || s === 'skip')).toBe(true);
    expect(statuses).toContain('pass');
    // The password never lands in storage, the URL or the page once the run is over.
    const leaked = await page.evaluate(
      (secret) =>
        [
          JSON.stringify({ ...localStorage }),
          JSON.stringify({ ...sessionStorage }),
          location.href,
          document.documentElement.outerHTML,
        ].some((s) => s.includes(secret)),
      PASSWORD,
    );
    expect(leaked).toBe(false);
    await expectAccessible(page, 'connected');
  });

  it('missing permissions: the root cause title and the missing objects and permissions', async () => {
    const expected = await serverOutcome('missing-perms-role');
    expect(expected.status).toBe('failed');
    const root = expected.report.findings[0]!;
    const page = await newPage();
    await page.goto(`${server.url}/#/connect`);
    await fillAndConnect(page, 'missing-perms-role');
    const card = page.getByRole('article', { name: root.title });
    await card.waitFor();
    await card.getByRole('heading', { name: root.title }).waitFor();
    // The demo role lacks Accounts Payable (vendors, bills) and journal entries.
    const table = card.getByRole('table');
    for (const object of ['VENDOR', 'APBILL', 'GLENTRY']) {
      await table.getByText(object, { exact: true }).waitFor();
    }
    for (const permission of ['Vendors', 'Bills', 'Journal Entries']) {
      await expect(
        table.getByRole('cell', { name: permission, exact: true }).count(),
      ).resolves.toBeGreaterThan(0);
    }
    const failed = page.locator('[data-status="fail"]');
    expect(await failed.count()).toBeGreaterThan(0);
    await expectAccessible(page, 'missing-permissions');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expectAccessible(page, 'missing-permissions-dark');
    // Try again keeps what was typed.
    await page.getByRole('button', { name: 'Try again' }).click();
    expect(await page.getByLabel('Company ID').inputValue()).toBe('missing-perms-role');
    expect(await page.getByLabel('User ID').inputValue()).toBe(USER);
    // Retrying the same company updates the stored connection rather than adding another one.
    const count = async () => {
      const res = await fetch(`${server.url}/api/connections`, {
        headers: { authorization: `Bearer ${server.apiKey}` },
      });
      const { connections } = (await res.json()) as { connections: { companyId: string }[] };
      return connections.filter((c) => c.companyId === 'missing-perms-role').length;
    };
    const before = await count();
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByRole('article', { name: root.title }).waitFor();
    expect(await count()).toBe(before);
    // The run revealed a role-based company: the permissions step now says so and shows the role steps.
    await page.goto(`${server.url}/#/setup/permissions`);
    await page.getByText('showed that your company is role-based').waitFor();
    expect(await page.getByLabel('Role-based company').isChecked()).toBe(true);
    await page.getByRole('link', { name: 'Role and permissions (problem found)' }).waitFor();
  });

  it('sender not authorized: the precheck and the connect flow both name the cause and its fix', async () => {
    const expected = await serverOutcome('sender-not-authorized');
    const root = expected.report.findings[0]!;
    expect(root.cause).toBe('sender.not_authorized');
    const page = await newPage();
    await page.goto(`${server.url}/#/setup/authorization`);
    await page.getByText('IntacctConnect', { exact: true }).waitFor();
    await page.getByLabel('Company ID').fill('sender-not-authorized');
    await page.getByRole('button', { name: 'Check company' }).click();
    await page.getByRole('article', { name: root.title }).waitFor();
    // The step list points at the step that needs work.
    await page.getByRole('link', { name: 'Web Services authorization (problem found)' }).waitFor();
    await expectAccessible(page, 'precheck-failed');

    await page.goto(`${server.url}/#/connect`);
    await fillAndConnect(page, 'sender-not-authorized');
    const card = page.getByRole('article', { name: root.title });
    await card.waitFor();
    const steps = await card.getByRole('listitem').allTextContents();
    expect(steps).toEqual(root.fix);
    await expectAccessible(page, 'sender-not-authorized');
    await card.getByRole('link', { name: /Read the help article/ }).click();
    await page.waitForURL(/#\/help\/sender\.not_authorized$/);
    await page.getByRole('heading', { level: 1, name: /./ }).waitFor();
    await page.getByRole('heading', { name: 'How to fix it' }).waitFor();
    await expectAccessible(page, 'article');
  });

  it('OAuth: Sign in with Intacct, sign in and consent on the emulator, back to the result', async (ctx) => {
    const page = await newPage();
    await page.goto(`${server.url}/#/connect`);
    const button = page.getByRole('button', { name: 'Sign in with Intacct' });
    await page.getByLabel('Company ID').waitFor();
    if ((await button.count()) === 0) {
      console.warn(
        '!!! OAuth is not enabled on the server (config.oauth.enabled=false): OAuth UI test skipped !!!',
      );
      ctx.skip();
      return;
    }
    await button.click();
    // Intacct's own sign-in page refuses Web Services users, so the consent comes from a regular user.
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Company ID').fill(OAUTH_COMPANY);
    await page.getByLabel('User ID').fill(USER);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Accept' }).click();
    await page.waitForURL(/#\/oauth-result\//);
    const id = decodeURIComponent(page.url().split('#/oauth-result/')[1] ?? '');
    const stored = (await (
      await fetch(`${server.url}/api/connections/${encodeURIComponent(id)}`, {
        headers: { authorization: `Bearer ${server.apiKey}` },
      })
    ).json()) as { status: string; issues?: { title?: string; cause?: string }[] };
    expect(stored.status, `OAuth connection stored as ${stored.status} (${stored.issues?.[0]?.cause})`).toBe(
      'connected',
    );
    const status = page.getByRole('status').filter({ hasText: 'Connected' });
    await status.waitFor();
    expect(await status.textContent()).toContain(`Connected to ${OAUTH_COMPANY}`);
    await expectAccessible(page, 'oauth-result');
    // Declining consent comes back as an OAuth error page naming the cause.
    await page.goto(`${server.url}/#/connect`);
    await page.getByRole('button', { name: 'Sign in with Intacct' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Company ID').fill(OAUTH_COMPANY);
    await page.getByLabel('User ID').fill(USER);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Decline' }).click();
    await page.waitForURL(/#\/oauth-error\/access_denied/);
    await page.getByText('You declined access').waitFor();
    await expectAccessible(page, 'oauth-declined');
  }, 60_000);

  it('keyboard only: every setup step, the form and the result without a mouse', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/`);
    await page.getByRole('heading', { level: 1 }).waitFor();
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        return { tag: el?.tagName ?? '', text: (el?.textContent ?? '').trim(), id: el?.id ?? '' };
      });
    /** Presses Tab until the focused element's text matches, like a person scanning with the keyboard. */
    const tabTo = async (match: RegExp) => {
      for (let i = 0; i < 60; i++) {
        await page.keyboard.press('Tab');
        const f = await focused();
        if (match.test(f.text) || match.test(f.id)) return;
      }
      throw new Error(`keyboard focus never reached ${match}`);
    };
    const steps = [
      'Web Services subscription',
      'Web Services authorization',
      'Web Services user',
      'Role and permissions',
      'Entity',
      'Sign in',
    ];
    for (const step of steps) {
      await tabTo(new RegExp(`^Next: ${step}$`));
      await page.keyboard.press('Enter');
      await page.waitForFunction(
        (name) =>
          document.activeElement?.id === 'step-heading' && document.activeElement.textContent === name,
        step,
      );
    }
    await tabTo(/^cred-companyId$/);
    await page.keyboard.type('acme-healthy');
    await page.keyboard.press('Tab');
    await page.keyboard.type(USER);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    // The outcome takes focus so the next Tab continues from it.
    const outcome = await page.evaluate(() => document.activeElement?.classList.contains('outcome'));
    expect(outcome).toBe(true);
    await screenshot(page, 'keyboard-connected'); // same components as an audited screen
  });

  it('help centre: search filters the articles, and the explain box names the cause', async () => {
    const articles = (await (await fetch(`${server.url}/api/help/articles`)).json()) as {
      articles: { id: string; title: string }[];
    };
    expect(articles.articles.length).toBeGreaterThan(30);
    const page = await newPage({ colorScheme: 'dark' });
    await page.goto(`${server.url}/#/help`);
    const links = page.locator('.article-list a');
    await page.waitForFunction(
      (n) => document.querySelectorAll('.article-list a').length === n,
      articles.articles.length,
    );
    await expectAccessible(page, 'help-dark');
    expect(await page.title()).toBe('Help centre – Intacct Connect');
    await page.getByLabel('Search help').fill('locked');
    await page.waitForFunction(
      (n) => document.querySelectorAll('.article-list a').length < n,
      articles.articles.length,
    );
    const titles = await links.allTextContents();
    const locked = articles.articles.find((a) => a.id === 'user.locked_out')!;
    expect(titles).toContain(locked.title);
    expect(titles.length).toBeLessThan(articles.articles.length);

    const pasted =
      '<errormessage><error><errorno>XL03000006</errorno><description>Invalid Web Services Authorization</description>' +
      "<description2>The sender ID 'AcmeSync' is not authorized to make Web Services requests to company ID 'acme'.</description2>" +
      '<correction>Contact the company administrator to grant Web Services authorization to this sender ID.</correction></error></errormessage>';
    const explained = (await (
      await fetch(`${server.url}/api/explain`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: pasted }),
      })
    ).json()) as { matches: { cause: string; title: string }[] };
    expect(explained.matches[0]?.cause).toBe('sender.not_authorized');
    await page.getByLabel('Error text').fill(pasted);
    await page.getByRole('button', { name: 'Explain' }).click();
    const match = page.getByRole('article', { name: explained.matches[0]!.title });
    await match.waitFor();
    await expect(
      match.getByRole('link', { name: /Read the help article/ }).getAttribute('href'),
    ).resolves.toBe('#/help/sender.not_authorized');
    await expectAccessible(page, 'explain-dark');
  });

  it('dashboard: key, connections, details and history, re-check, update credentials, delete', async () => {
    // A connection of our own, so this test does not depend on the others' order.
    const created = await fetch(`${server.url}/api/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ companyId: 'acme-multi', userId: USER, userPassword: PASSWORD }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };

    const page = await newPage();
    await page.goto(`${server.url}/#/dashboard`);
    await expectAccessible(page, 'dashboard-key');
    await page.getByLabel('Management key').fill('wrong-key');
    await page.getByRole('button', { name: 'Open dashboard' }).click();
    await page.getByText('That key was refused.').waitFor();
    await page.getByLabel('Management key').fill(server.apiKey);
    await page.getByRole('button', { name: 'Open dashboard' }).click();
    const row = page.locator(`tr[data-connection="${id}"]`);
    await row.waitFor();
    await expect(row.getByRole('rowheader').textContent()).resolves.toBe('acme-multi');
    await row.getByText('Connected').waitFor();
    // The key stays in this tab's sessionStorage only.
    const stored = await page.evaluate(() => ({
      local: JSON.stringify({ ...localStorage }),
      url: location.href,
    }));
    expect(stored.local).not.toContain(server.apiKey);
    expect(stored.url).not.toContain(server.apiKey);

    await row.getByRole('button', { name: 'Details: acme-multi' }).click();
    await page.getByRole('heading', { name: 'Check history' }).waitFor();
    await page.locator('.details table tbody tr').first().waitFor();
    await expectAccessible(page, 'dashboard-details');

    await row.getByRole('button', { name: 'Re-check: acme-multi' }).click();
    await page.getByRole('status').filter({ hasText: 'Re-checked acme-multi: Connected.' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('.details table tbody tr').length >= 2);

    // Update with a wrong password: the connection turns failed and the root cause is shown.
    await row.getByRole('button', { name: 'Update credentials: acme-multi' }).click();
    await page.getByLabel('Password').fill('Planted-Wrong-Secret-7f3');
    await page.getByRole('button', { name: 'Save and check' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'Updated credentials for acme-multi: Failed.' })
      .waitFor();
    await row.getByText('Failed').waitFor();
    await page.getByRole('article').first().waitFor();
    await screenshot(page, 'dashboard-updated'); // same components as an audited screen
    expect(server.output()).not.toContain('Planted-Wrong-Secret-7f3');

    await row.getByRole('button', { name: 'Delete: acme-multi' }).click();
    await page.getByText('Delete the connection to acme-multi?').waitFor();
    await expectAccessible(page, 'dashboard-confirm-delete');
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await page.getByRole('status').filter({ hasText: 'Deleted the connection to acme-multi.' }).waitFor();
    // The status is announced before the list is fetched again; the row goes with that refresh.
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    expect(await row.count()).toBe(0);
    const gone = await fetch(`${server.url}/api/connections/${id}`, {
      headers: { authorization: `Bearer ${server.apiKey}` },
    });
    expect(gone.status).toBe(404);
  });

  it('embedded in an iframe: posts ready, then connected, then closed to the parent', async () => {
    const page = await newPage();
    // A host page on the server's own origin (the default frame-ancestors is 'self').
    await page.route(`${server.url}/embed-host.html`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><html lang="en"><title>Host</title><script>window.events = [];
          addEventListener('message', (e) => window.events.push(e.data));</script>
          <iframe title="Connect Sage Intacct" src="/#/connect" style="width:1000px;height:900px"></iframe></html>`,
      }),
    );
    await page.goto(`${server.url}/embed-host.html`);
    const frame = page.frameLocator('iframe');
    const events = () =>
      page.evaluate(() => (window as unknown as { events: { type: string; event: string }[] }).events);
    await frame.getByLabel('Company ID').fill('acme-healthy');
    await frame.getByLabel('User ID').fill(USER);
    await frame.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await frame.getByRole('button', { name: 'Connect', exact: true }).click();
    await frame.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    await frame.getByRole('button', { name: 'Done' }).click();
    await page.waitForFunction(() => (window as unknown as { events: unknown[] }).events.length >= 3);
    const got = await events();
    expect(got.map((e) => e.type)).toEqual([
      'intacct-connect:ready',
      'intacct-connect:connected',
      'intacct-connect:closed',
    ]);
    expect(got.map((e) => e.event)).toEqual(['ready', 'connected', 'closed']);
    expect(JSON.stringify(got)).not.toContain(PASSWORD);
    expect(got[1]).toMatchObject({ companyId: 'acme-healthy', status: 'connected' });
    // Embedded pages have no dashboard link.
    expect(await frame.getByRole('link', { name: 'Dashboard' }).count()).toBe(0);
  });

  it('connect links: an invalid token says so; a real connect-session link opens the form', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/?token=ct_not_a_real_token#/connect`);
    await page.getByRole('alert').filter({ hasText: 'expired or is not valid' }).waitFor();
    expect(await page.getByLabel('Company ID').count()).toBe(0);
    await expectAccessible(page, 'invalid-token');

    // A real connect-session link opens the form, and the token leaves the address bar.
    const made = await fetch(`${server.url}/api/connect-sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ customerRef: 'web-test' }),
    });
    expect(made.status).toBe(201);
    const { url, token } = (await made.json()) as { url: string; token: string };
    const linked = await newPage();
    await linked.goto(`${url}#/connect`);
    await linked.getByLabel('Company ID').waitFor();
    expect(linked.url()).not.toContain(token);
    expect(linked.url()).toContain('#/connect');
  });

  it('guided setup screens pass axe in light and dark, and the theme toggle switches', async () => {
    const page = await newPage();
    for (const step of ['prerequisites', 'subscription', 'authorization', 'user', 'permissions', 'entity']) {
      await page.goto(`${server.url}/#/setup/${step}`);
      await page.getByRole('heading', { level: 2 }).waitFor();
      await expectAccessible(page, `setup-${step}`);
    }
    // The permissions table lists what the server's config requires.
    await page.goto(`${server.url}/#/setup/permissions`);
    await page.getByRole('table', { name: 'Permissions the application needs' }).waitFor();
    await expect(page.getByRole('cell', { name: 'Journal Entries' }).count()).resolves.toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Theme: system' }).click();
    await page.getByRole('button', { name: 'Theme: light' }).click();
    await page.getByRole('button', { name: 'Theme: dark' }).waitFor();
    await expect(page.evaluate(() => document.documentElement.dataset.theme)).resolves.toBe('dark');
    await expectAccessible(page, 'setup-permissions-dark');
  });
});
