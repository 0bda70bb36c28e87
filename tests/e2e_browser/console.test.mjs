// The admin console in a real browser (Debian's Chromium, playwright-core) against the real binary
// and PostgreSQL: a setup link printed by the CLI signs the first Owner in, the Owner manages
// users, sessions end when they should, and every page passes axe (WCAG 2.2 A/AA) at desktop and
// phone width with no CSP violation or console error. The same flows run with JavaScript off.
// Screenshots of every page go to tests/artifacts/console/.
//
// Needs CHAL_BINARY, CHAL_TEST_DATABASE_URL and /usr/bin/chromium; scripts/test provides them.
// Runs in a database of its own (created and dropped here), like slack.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { freePort, waitFor as waitUntil } from '../e2e_node/live_helpers.mjs';
import { loadValidator } from '../e2e_node/openapi_validator.mjs';
import { launchChromium, startServer, stopChild } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = path.join(here, '..', 'artifacts', 'console');
const binary = process.env.CHAL_BINARY;
const sharedDatabase = process.env.CHAL_TEST_DATABASE_URL;
const masterKey = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
const desktop = { width: 1280, height: 800 };
const phone = { width: 390, height: 844 };

let database, server, base, env, tenantId, browser;
let serverLog = '';

const waitFor = (condition, ms, what) => waitUntil(condition, ms, what, () => serverLog.slice(-4000));

function psql(sql, url = database) {
  return execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { encoding: 'utf8' }).trim();
}

function cli(args) {
  return execFileSync(binary, args, { env, encoding: 'utf8' });
}

// A fresh single-use link for `email` with `role`, as an operator prints it.
function setupLink(email, role = 'owner') {
  const out = cli(['console', 'setup-link', '--tenant', tenantId, '--email', email, '--role', role, '--json']);
  return JSON.parse(out.trim().split('\n').pop()).setup_url;
}

// A browser context that fails the test on any CSP violation, page error or console error.
async function watchedContext(options = {}) {
  const context = await browser.newContext({ viewport: desktop, ...options });
  const problems = [];
  context.problems = problems;
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  context.on('page', (page) => {
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      // A form answered 400/409 with its errors on the field is a page we assert on ourselves;
      // a failing script, stylesheet or fetch (another URL) still counts.
      if (msg.text().startsWith('Failed to load resource') && msg.location().url === page.url()) return;
      problems.push(`${msg.text()} (${msg.location().url})`);
    });
    page.on('pageerror', (err) => problems.push(String(err)));
  });
  return context;
}

function assertNoProblems(context) {
  assert.deepEqual(context.problems, [], 'no CSP violation, page error or console error');
}

// Opens the link and presses Continue: the page lands on the dashboard, signed in.
async function signInWith(context, url) {
  const page = await context.newPage();
  await page.goto(url);
  await page.getByRole('button', { name: 'Continue to the console' }).click();
  await page.waitForURL(`${base}/console`);
  return page;
}

async function assertAccessible(page, name) {
  for (const viewport of [desktop, phone]) {
    await page.setViewportSize(viewport);
    const results = await new AxeBuilder({ page })
      .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])
      .analyze();
    const found = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(', ')})`);
    assert.deepEqual(found, [], `${name} at ${viewport.width}px has no axe violations`);
    await page.screenshot({ path: path.join(artifacts, `${name}-${viewport.width}.png`), fullPage: true });
  }
  await page.setViewportSize(desktop);
}

// Clicks a form's button and waits for the page the answer loads (Post/Redirect/Get often lands
// on the same URL, so waiting for the URL would not wait at all).
async function submit(page, button) {
  const loaded = page.waitForEvent('load');
  await button.click();
  await loaded;
}

// Presses a dangerous action's button and confirms in the dialog console.js shows first.
async function confirmed(page, button) {
  await button.click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await submit(page, dialog.getByRole('button', { name: /^(Suspend|Remove)/ }));
}

function rowOf(page, email) {
  return page.getByRole('row').filter({ hasText: email });
}

before(async () => {
  assert.ok(binary, 'CHAL_BINARY must name the built challenge binary');
  assert.ok(sharedDatabase, 'CHAL_TEST_DATABASE_URL must be set');
  mkdirSync(artifacts, { recursive: true });
  const url = new URL(sharedDatabase);
  const name = `${url.pathname.slice(1)}_console_${process.pid}_${randomBytes(3).toString('hex')}`;
  psql(`CREATE DATABASE "${name}"`, sharedDatabase);
  url.pathname = `/${name}`;
  database = url.href;
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  env = {
    ...process.env, DATABASE_URL: database, CHALLENGE_MASTER_KEY: masterKey, CHALLENGE_PUBLIC_BASE_URL: base,
    CHALLENGE_PORT: String(port), CHALLENGE_LOG_LEVEL: 'info',
  };
  cli(['migrate']);
  const created = cli(['tenant', 'create', '--name', 'Acme Console', '--json']);
  tenantId = JSON.parse(created.trim().split('\n').pop()).tenant_id;
  server = await startServer(binary, env, base, (d) => { serverLog += d; }, waitFor);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await stopChild(server);
  if (database) psql(`DROP DATABASE IF EXISTS "${new URL(database).pathname.slice(1)}" WITH (FORCE)`, sharedDatabase);
});

test('the first Owner signs in with a setup link, which works once, and every page is accessible', async () => {
  const url = setupLink('owner@acme.example');
  const context = await watchedContext();
  const first = await context.newPage();
  await first.goto(url);
  // Looking at the link spends nothing: a mail scanner's GET leaves it usable.
  await assertAccessible(first, 'setup-link');
  await first.reload();
  await first.getByRole('button', { name: 'Continue to the console' }).click();
  await first.waitForURL(`${base}/console`);
  assert.equal(await first.getByRole('heading', { level: 1 }).textContent(), 'Dashboard');
  await assertAccessible(first, 'dashboard');
  await first.getByRole('link', { name: '7 days' }).click();
  await first.waitForURL(`${base}/console?range=7d`);
  assert.equal(await first.locator('.range-picker a[aria-current="page"]').textContent(), '7 days');

  const cookies = await context.cookies(base);
  const session = cookies.find((c) => c.name === 'console');
  assert.ok(session, `a session cookie was set: ${JSON.stringify(cookies.map((c) => c.name))}`);
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Lax');
  assert.equal(session.path, '/');
  assert.ok(session.value.length >= 43, 'the token carries at least 256 bits');
  assert.equal(psql(`SELECT count(*) FROM console_sessions WHERE token_hash = sha256('${session.value}'::bytea)`), '1');

  for (const [link, name] of [['Users', 'users'], ['Audit log', 'audit'], ['Your sessions', 'sessions']]) {
    await first.getByRole('link', { name: link }).click();
    await first.waitForLoadState();
    await assertAccessible(first, name);
  }

  const again = await (await watchedContext()).newPage();
  const answer = await again.goto(url);
  assert.equal(answer.status(), 404, 'a used link shows the error page');
  await assertAccessible(again, 'setup-link-used');
  assert.match(await again.textContent('main'), /already used or has expired/);
  assert.equal(psql(`SELECT count(*) FROM audit_events WHERE tenant_id = '${tenantId}' AND action LIKE 'console.setup_link_%'`),
    '2', 'issued and redeemed, each audited once');
  assertNoProblems(context);
});

test('an Owner adds a user with errors on the field, changes their role, suspends and removes them', async () => {
  const context = await watchedContext();
  const page = await signInWith(context, setupLink('owner2@acme.example'));
  await page.getByRole('link', { name: 'Users' }).click();

  await page.getByLabel('Email').fill('not an email');
  await submit(page, page.getByRole('button', { name: 'Add user' }));
  const email = page.getByLabel('Email');
  assert.equal(await email.getAttribute('aria-invalid'), 'true');
  assert.match(await page.textContent('#email-error'), /email must be an address/);
  assert.equal(await email.inputValue(), 'not an email', 'what was typed stays');
  await assertAccessible(page, 'users-field-error');

  await email.fill('ana@acme.example');
  await page.getByLabel('Name (optional)').fill('Ana <Analyst>');
  await page.getByLabel('Role', { exact: true }).selectOption('analyst');
  await submit(page, page.getByRole('button', { name: 'Add user' }));
  const ana = rowOf(page, 'ana@acme.example');
  assert.match(await ana.textContent(), /Ana <Analyst>.*Analyst.*Active/);

  await page.getByLabel('Email').fill('ana@acme.example');
  await submit(page, page.getByRole('button', { name: 'Add user' }));
  assert.match(await page.textContent('#email-error'), /already a member/);

  await ana.getByLabel('Role of ana@acme.example').selectOption('viewer');
  await submit(page, ana.getByRole('button', { name: 'Change role of ana@acme.example' }));
  assert.match(await rowOf(page, 'ana@acme.example').textContent(), /Viewer/);
  // Esc in the confirmation changes nothing.
  await rowOf(page, 'ana@acme.example').getByRole('button', { name: 'Suspend ana@acme.example' }).click();
  await page.getByRole('dialog').waitFor();
  await assertAccessible(page, 'users-confirm-dialog');
  await page.keyboard.press('Escape');
  assert.equal(await page.getByRole('dialog').count(), 0);
  assert.match(await rowOf(page, 'ana@acme.example').textContent(), /Active/);
  await confirmed(page, rowOf(page, 'ana@acme.example').getByRole('button', { name: 'Suspend ana@acme.example' }));
  assert.match(await rowOf(page, 'ana@acme.example').textContent(), /Suspended/);
  await confirmed(page, rowOf(page, 'ana@acme.example').getByRole('button', { name: 'Remove ana@acme.example' }));
  assert.equal(await rowOf(page, 'ana@acme.example').count(), 0);
  const actions = psql(`SELECT string_agg(action, ',' ORDER BY id) FROM audit_events WHERE tenant_id = '${tenantId}' AND target_type = 'member' AND outcome = 'success' AND action LIKE 'member.%'`);
  assert.equal(actions, 'member.added,member.role_changed,member.suspended,member.removed');
  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.getByLabel('Action (e.g. member.)').fill('member.');
  await submit(page, page.getByRole('button', { name: 'Filter' }));
  const rows = await page.locator('tbody tr').allTextContents();
  assert.ok(rows.length >= 4 && rows.every((r) => /member\./.test(r)), `only member actions: ${rows.join(' | ')}`);
  assert.ok(rows.some((r) => /member\.removed/.test(r) && /success/.test(r)));
  await assertAccessible(page, 'audit-filtered');
  assertNoProblems(context);
});

test('suspending a member ends their live session at once, and an idle session ends after 30 minutes', async () => {
  const owner = await signInWith(await watchedContext(), setupLink('owner3@acme.example'));
  const analystContext = await watchedContext();
  const analyst = await signInWith(analystContext, setupLink('sam@acme.example', 'analyst'));
  assert.match(await analyst.textContent('header'), /sam@acme\.example \(Analyst\)/);
  // An analyst does not see the Users page's contents.
  const refused = await analyst.goto(`${base}/console/users`);
  assert.equal(refused.status(), 403);

  await owner.goto(`${base}/console/users`);
  await confirmed(owner, rowOf(owner, 'sam@acme.example').getByRole('button', { name: 'Suspend sam@acme.example' }));
  await analyst.goto(`${base}/console`);
  assert.equal(analyst.url(), `${base}/console/sign-in`, 'the suspended member is signed out');

  const idle = await signInWith(await watchedContext(), setupLink('idle@acme.example', 'viewer'));
  psql(`UPDATE console_sessions SET last_seen_at = now() - interval '31 minutes' WHERE ended_at IS NULL AND user_id = (SELECT id FROM console_users WHERE email = 'idle@acme.example')`);
  await idle.goto(`${base}/console`);
  assert.equal(idle.url(), `${base}/console/sign-in`);
  assert.equal(psql(`SELECT end_reason FROM console_sessions WHERE user_id = (SELECT id FROM console_users WHERE email = 'idle@acme.example')`), 'idle');
});

test('sign-out ends the session on the server, and a member ends their other sessions', async () => {
  const url1 = setupLink('multi@acme.example', 'viewer');
  const url2 = setupLink('multi@acme.example', 'viewer');
  const laptop = await signInWith(await watchedContext(), url1);
  const phoneContext = await watchedContext({ viewport: phone });
  const onPhone = await signInWith(phoneContext, url2);
  await laptop.getByRole('link', { name: 'Your sessions' }).click();
  assert.equal(await laptop.getByRole('button', { name: /^End/ }).count(), 1);
  await submit(laptop, laptop.getByRole('button', { name: /^End/ }));
  await onPhone.goto(`${base}/console`);
  assert.equal(onPhone.url(), `${base}/console/sign-in`);

  const [cookie] = (await laptop.context().cookies(base)).filter((c) => c.name === 'console');
  await laptop.getByRole('button', { name: 'Sign out' }).click();
  await laptop.waitForURL(`${base}/console/sign-in`);
  // The old cookie, replayed by hand, opens nothing.
  const replay = await fetch(`${base}/console`, { headers: { Cookie: `console=${cookie.value}` }, redirect: 'manual' });
  assert.equal(replay.status, 303);
  assert.equal(replay.headers.get('location'), '/console/sign-in');
});

test('a cross-origin POST and a POST without the form token are refused and change nothing', async () => {
  const context = await watchedContext();
  const page = await signInWith(context, setupLink('csrf@acme.example'));
  const [cookie] = (await context.cookies(base)).filter((c) => c.name === 'console');
  const csrf = await page.locator('header input[name="csrf"]').inputValue();
  const add = (headers, body) => fetch(`${base}/console/users`, {
    method: 'POST', redirect: 'manual',
    headers: { Cookie: `console=${cookie.value}`, 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(body).toString(),
  });
  const crossSite = await add({ 'Sec-Fetch-Site': 'cross-site', Origin: 'https://evil.example' },
    { csrf, email: 'evil1@acme.example', role: 'viewer' });
  assert.equal(crossSite.status, 403);
  const foreignOrigin = await add({ Origin: 'http://evil.example' }, { csrf, email: 'evil2@acme.example', role: 'viewer' });
  assert.equal(foreignOrigin.status, 403);
  const noToken = await add({ 'Sec-Fetch-Site': 'same-origin' }, { email: 'evil3@acme.example', role: 'viewer' });
  assert.equal(noToken.status, 403);
  assert.match(await noToken.text(), /form has expired/);
  const ok = await add({ 'Sec-Fetch-Site': 'same-origin' }, { csrf, email: 'fine@acme.example', role: 'viewer' });
  assert.equal(ok.status, 303, 'the same request with the token and from our origin works');
  assert.equal(psql(`SELECT count(*) FROM console_users WHERE email LIKE 'evil%'`), '0');
});

test('with JavaScript off a member signs in, adds a user and signs out', async () => {
  const context = await watchedContext({ javaScriptEnabled: false });
  const page = await signInWith(context, setupLink('nojs@acme.example'));
  await page.getByRole('link', { name: 'Users' }).click();
  await page.getByLabel('Email').fill('nojs-added@acme.example');
  await submit(page, page.getByRole('button', { name: 'Add user' }));
  assert.equal(await rowOf(page, 'nojs-added@acme.example').count(), 1);
  // A dangerous action without JavaScript simply submits (the server's rules still apply).
  await submit(page, rowOf(page, 'nojs-added@acme.example').getByRole('button', { name: 'Remove nojs-added@acme.example' }));
  assert.equal(await rowOf(page, 'nojs-added@acme.example').count(), 0);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${base}/console/sign-in`);
  assertNoProblems(context);
});

test('the dashboard counts what happened and each number opens the list behind it, down to one challenge', async () => {
  const created = JSON.parse(cli(['integration', 'create-webhook', '--tenant', tenantId, '--name', 'Console test', '--json']).trim().split('\n').pop());
  const create = async (email) => {
    const res = await fetch(`${base}/api/v1/challenges`, {
      method: 'POST', headers: { 'X-API-Key': created.api_key, 'Content-Type': 'application/json' },
      body: JSON.stringify({ target_user_email: email, context: `Reset for ${email}` }),
    });
    assert.equal(res.status, 201);
    return (await res.json()).challenge_id;
  };
  const ids = [];
  for (let i = 0; i < 3; ++i) ids.push(await create(`target${i}@acme.example`));
  const cancel = await fetch(`${base}/api/v1/challenges/${ids[1]}/cancel`, { method: 'POST', headers: { 'X-API-Key': created.api_key } });
  assert.equal(cancel.status, 200);

  const context = await watchedContext();
  const page = await signInWith(context, setupLink('viewer@acme.example', 'viewer'));
  await assertAccessible(page, 'dashboard-with-challenges');
  const chart = page.getByRole('img', { name: /Challenges per day/ });
  assert.equal(await chart.count(), 1, 'the day-by-day chart is an image with a name');
  assert.match(await page.locator('figure').first().textContent(), /Initiated/);
  const total = page.locator('a.stat').filter({ hasText: 'Total' });
  assert.match(await total.textContent(), /Total\s*3/);
  assert.match(await page.locator('a.stat').filter({ hasText: 'Failed' }).textContent(), /Failed\s*1/);
  await page.locator('a.stat').filter({ hasText: 'Initiated' }).click();
  await page.waitForURL(/\/console\/challenges\?from=.*&status=initiated/);
  assert.equal(await page.locator('tbody tr').count(), 2, 'the list shows exactly what the tile counted');
  await assertAccessible(page, 'challenges');

  await page.getByLabel('Status').selectOption('failed');
  await submit(page, page.getByRole('button', { name: 'Filter' }));
  assert.equal(await page.locator('tbody tr').count(), 1);
  assert.match(await page.locator('tbody').textContent(), /target1@acme\.example/);
  await page.locator('tbody a').first().click();
  await page.waitForURL(`${base}/console/challenges/${ids[1]}`);
  const main = await page.textContent('main');
  assert.match(main, /Reset for target1@acme\.example/);
  assert.match(main, /created by api_key:/);
  assert.match(main, /canceled/);
  await assertAccessible(page, 'challenge-detail');

  const unknown = await page.goto(`${base}/console/challenges?status=bogus`);
  assert.equal(unknown.status(), 400);
  // Another tenant's challenge is not found, as if it did not exist.
  const other = JSON.parse(cli(['tenant', 'create', '--name', 'Other Co', '--json']).trim().split('\n').pop()).tenant_id;
  const otherKey = JSON.parse(cli(['integration', 'create-webhook', '--tenant', other, '--name', 'x', '--json']).trim().split('\n').pop()).api_key;
  const theirs = await fetch(`${base}/api/v1/challenges`, {
    method: 'POST', headers: { 'X-API-Key': otherKey, 'Content-Type': 'application/json' },
    body: JSON.stringify({ target_user_email: 'x@other.example' }),
  });
  const theirId = (await theirs.json()).challenge_id;
  assert.equal((await page.goto(`${base}/console/challenges/${theirId}`)).status(), 404);
  assertNoProblems(context);
});

// Signs `email` in with a fresh link over plain HTTP: { cookie, csrf } for requests by hand.
async function sessionOf(email, role) {
  const redeemed = await fetch(setupLink(email, role), { method: 'POST', redirect: 'manual', headers: { Origin: base } });
  assert.equal(redeemed.status, 303);
  const cookie = redeemed.headers.get('set-cookie').split(';')[0];
  const page = await (await fetch(`${base}/console/sessions`, { headers: { Cookie: cookie } })).text();
  const csrf = page.match(/name="csrf" value="([^"]+)"/)[1];
  return { cookie, csrf };
}

test('every console route answers each role exactly as the permission table says', async () => {
  const roles = ['owner', 'admin', 'analyst', 'viewer'];
  const who = {};
  for (const role of roles) who[role] = await sessionOf(`matrix-${role}@acme.example`, role);
  await sessionOf('matrix-target@acme.example', 'viewer');
  const targetId = psql(`SELECT id FROM console_users WHERE email = 'matrix-target@acme.example'`);
  // A bystander's session (a role change would end the target's own).
  await sessionOf('matrix-bystander@acme.example', 'viewer');
  const targetSession = psql(`SELECT s.id FROM console_sessions s JOIN console_users u ON u.id = s.user_id
                              WHERE u.email = 'matrix-bystander@acme.example' AND s.ended_at IS NULL`);
  const key = JSON.parse(cli(['integration', 'create-webhook', '--tenant', tenantId, '--name', 'Matrix', '--json']).trim().split('\n').pop()).api_key;
  const made = await fetch(`${base}/api/v1/challenges`, {
    method: 'POST', headers: { 'X-API-Key': key, 'Content-Type': 'application/json' },
    body: JSON.stringify({ target_user_email: 'matrix@acme.example' }),
  });
  const challengeId = (await made.json()).challenge_id;
  const manage = { owner: 303, admin: 303, analyst: 403, viewer: 403 };
  const everyone = { owner: 200, admin: 200, analyst: 200, viewer: 200 };
  const routes = [
    ['GET', '/console', everyone],
    ['GET', '/console?range=30d', everyone],
    ['GET', '/console/challenges', everyone],
    ['GET', `/console/challenges/${challengeId}`, everyone],
    ['GET', '/console/challenges/00000000-0000-7000-8000-000000000000', { owner: 404, admin: 404, analyst: 404, viewer: 404 }],
    ['GET', '/console/sessions', everyone],
    ['GET', '/console/users', { owner: 200, admin: 200, analyst: 403, viewer: 403 }],
    ['GET', '/console/audit', { owner: 200, admin: 200, analyst: 403, viewer: 403 }],
    ['GET', '/api/v1/audit-events', { owner: 200, admin: 200, analyst: 403, viewer: 403 }],
    ['GET', '/api/v1/users', { owner: 200, admin: 200, analyst: 403, viewer: 403 }],
    ['GET', '/api/v1/stats/challenges', everyone],
    ['GET', '/api/v1/sessions', everyone],
    ['POST', '/console/users', manage, (r) => ({ email: `added-by-${r}@acme.example`, role: 'viewer' })],
    ['POST', `/console/users/${targetId}`, manage, () => ({ action: 'role', role: 'analyst' })],
    // This tenant has no console SSO: a step-up can only point to the operator's recovery link.
    ['POST', '/console/reauth', { owner: 409, admin: 409, analyst: 409, viewer: 409 }, () => ({ return_to: '/console' })],
  ];
  for (const [method, route, expected, body] of routes) {
    for (const role of roles) {
      const s = who[role];
      const res = await fetch(`${base}${route}`, {
        method, redirect: 'manual',
        headers: { Cookie: s.cookie, ...(method === 'POST' ? { 'Content-Type': 'application/x-www-form-urlencoded', Origin: base } : {}) },
        body: method === 'POST' ? new URLSearchParams({ csrf: s.csrf, ...body(role) }).toString() : undefined,
      });
      assert.equal(res.status, expected[role], `${method} ${route} as ${role}`);
    }
    const anonymous = await fetch(`${base}${route}`, {
      method, redirect: 'manual',
      headers: method === 'POST' ? { 'Content-Type': 'application/x-www-form-urlencoded', Origin: base } : {},
      body: method === 'POST' ? 'csrf=x' : undefined,
    });
    if (route.startsWith('/api/')) {
      assert.equal(anonymous.status, 401, `${method} ${route} signed out is 401`);
    } else {
      assert.equal(anonymous.status, 303, `${method} ${route} signed out goes to sign-in`);
      assert.equal(anonymous.headers.get('location'), '/console/sign-in');
    }
  }
  // The pages before signing in answer everyone.
  for (const route of ['/console/sign-in', '/console/sign-in?tenant=' + tenantId]) {
    assert.equal((await fetch(`${base}${route}`)).status, 200, `GET ${route}`);
  }
  // One's own session can be ended; another member's is not found.
  for (const role of roles) {
    const s = who[role];
    const theirs = await fetch(`${base}/console/sessions/${targetSession}/end`, {
      method: 'POST', redirect: 'manual',
      headers: { Cookie: s.cookie, 'Content-Type': 'application/x-www-form-urlencoded', Origin: base },
      body: new URLSearchParams({ csrf: s.csrf }).toString(),
    });
    assert.equal(theirs.status, 404, `ending another member's session as ${role}`);
  }
  assert.equal(psql(`SELECT count(*) FROM console_sessions WHERE id = '${targetSession}' AND ended_at IS NULL`), '1');
});

test('the JSON API serves the same users, sessions and stats to a console session, as api/openapi.json describes', async () => {
  const validate = await loadValidator(path.join(here, '..', '..', 'api', 'openapi.json'));
  const owner = await sessionOf('json-owner@acme.example', 'owner');
  const viewer = await sessionOf('json-viewer@acme.example', 'viewer');
  const call = async (s, method, route, body, extra = {}) => {
    const headers = { ...(s ? { Cookie: s.cookie } : {}), ...extra };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${base}${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  };
  const checked = (method, template, res) => {
    const verdict = validate(method, template, res.status, res.json);
    assert.ok(verdict.ok, `${method} ${template} ${res.status}: ${JSON.stringify(verdict.errors)} ${JSON.stringify(res.json)}`);
    return res;
  };
  const write = (s) => ({ 'X-CSRF-Token': s.csrf });

  const listed = checked('GET', '/api/v1/users', await call(owner, 'GET', '/api/v1/users'));
  assert.equal(listed.status, 200);
  assert.ok(listed.json.users.some((u) => u.email === 'json-owner@acme.example' && u.role === 'owner'));

  assert.equal((await call(owner, 'POST', '/api/v1/users', { email: 'api-made@acme.example' })).status, 403, 'no X-CSRF-Token');
  const bad = checked('POST', '/api/v1/users', await call(owner, 'POST', '/api/v1/users', { email: 'nope' }, write(owner)));
  assert.equal(bad.status, 400);
  assert.match(bad.json.error, /email/);
  const wrongType = await call(owner, 'POST', '/api/v1/users', { email: 7 }, write(owner));
  assert.equal(wrongType.status, 400);
  const added = checked('POST', '/api/v1/users', await call(owner, 'POST', '/api/v1/users',
    { email: 'api-made@acme.example', name: 'Api Made', role: 'analyst' }, write(owner)));
  assert.equal(added.status, 201);
  assert.equal(added.json.role, 'analyst');
  const id = added.json.user_id;
  const again = checked('POST', '/api/v1/users', await call(owner, 'POST', '/api/v1/users', { email: 'api-made@acme.example' }, write(owner)));
  assert.equal(again.status, 409);

  const got = checked('GET', '/api/v1/users/{user_id}', await call(owner, 'GET', `/api/v1/users/${id}`));
  assert.equal(got.json.name, 'Api Made');
  const both = await call(owner, 'PATCH', `/api/v1/users/${id}`, { role: 'viewer', status: 'suspended' }, write(owner));
  assert.equal(both.status, 400);
  const demoted = checked('PATCH', '/api/v1/users/{user_id}', await call(owner, 'PATCH', `/api/v1/users/${id}`, { role: 'viewer' }, write(owner)));
  assert.equal(demoted.json.role, 'viewer');
  const suspended = checked('PATCH', '/api/v1/users/{user_id}', await call(owner, 'PATCH', `/api/v1/users/${id}`, { status: 'suspended' }, write(owner)));
  assert.equal(suspended.json.status, 'suspended');
  const crossOrigin = await call(owner, 'PATCH', `/api/v1/users/${id}`, { status: 'active' },
    { ...write(owner), 'Sec-Fetch-Site': 'cross-site', Origin: 'https://evil.example' });
  assert.equal(crossOrigin.status, 403);
  const ownerId = listed.json.users.find((u) => u.email === 'json-owner@acme.example').user_id;
  const self = checked('PATCH', '/api/v1/users/{user_id}', await call(owner, 'PATCH', `/api/v1/users/${ownerId}`, { status: 'suspended' }, write(owner)));
  assert.equal(self.status, 409, 'nobody suspends themselves');

  const forViewer = checked('GET', '/api/v1/users', await call(viewer, 'GET', '/api/v1/users'));
  assert.equal(forViewer.status, 403);
  const anonymous = checked('GET', '/api/v1/users', await call(null, 'GET', '/api/v1/users'));
  assert.equal(anonymous.status, 401);

  const other = JSON.parse(cli(['tenant', 'create', '--name', 'Json Other', '--owner-email', 'stranger@other.example', '--json']).trim().split('\n').pop());
  await fetch(other.setup_url, { method: 'POST', redirect: 'manual', headers: { Origin: base } });
  const strangerId = psql(`SELECT id FROM console_users WHERE email = 'stranger@other.example'`);
  const foreign = checked('GET', '/api/v1/users/{user_id}', await call(owner, 'GET', `/api/v1/users/${strangerId}`));
  assert.equal(foreign.status, 404, "another tenant's member is not found");

  const removed = await call(owner, 'DELETE', `/api/v1/users/${id}`, undefined, write(owner));
  assert.equal(removed.status, 204);
  assert.equal((await call(owner, 'GET', `/api/v1/users/${id}`)).status, 404);

  const audit = checked('GET', '/api/v1/audit-events', await call(owner, 'GET', '/api/v1/audit-events?action=member.&limit=3'));
  assert.equal(audit.status, 200);
  assert.equal(audit.json.events.length, 3);
  assert.ok(audit.json.events.every((e) => e.action.startsWith('member.')));
  assert.ok(audit.json.next_cursor, 'more than one page of member events');
  const next = checked('GET', '/api/v1/audit-events', await call(owner, 'GET', `/api/v1/audit-events?action=member.&limit=3&cursor=${audit.json.next_cursor}`));
  assert.ok(next.json.events.every((e) => BigInt(e.id) < BigInt(audit.json.events[2].id)), 'the next page continues after the last');
  const denied = checked('GET', '/api/v1/audit-events', await call(owner, 'GET', '/api/v1/audit-events?outcome=denied'));
  assert.ok(denied.json.events.some((e) => e.action === 'member.suspended' && e.actor.startsWith('user:')), 'the refused self-suspension is recorded');
  assert.equal((await call(owner, 'GET', '/api/v1/audit-events?outcome=maybe')).status, 400);
  assert.equal((await call(owner, 'GET', '/api/v1/audit-events?cursor=abc')).status, 400);
  const sessions = checked('GET', '/api/v1/sessions', await call(owner, 'GET', '/api/v1/sessions'));
  assert.equal(sessions.json.sessions.filter((x) => x.current).length, 1);
  const stats = checked('GET', '/api/v1/stats/challenges', await call(viewer, 'GET', '/api/v1/stats/challenges?window=30d'));
  assert.equal(stats.status, 200);
  assert.equal(stats.json.window, '30d');
  assert.equal(stats.json.total, Number(psql(`SELECT count(*) FROM challenges WHERE tenant_id = '${tenantId}'`)));
  assert.equal((await call(viewer, 'GET', '/api/v1/stats/challenges?window=1y')).status, 400);
  const current = sessions.json.sessions.find((x) => x.current).session_id;
  assert.equal((await call(owner, 'DELETE', `/api/v1/sessions/${current}`, undefined, write(owner))).status, 204);
  assert.equal((await call(owner, 'GET', '/api/v1/sessions')).status, 401, 'the ended session opens nothing');
});

test('the keyboard alone reaches the skip link, the navigation and the forms, with visible focus', async () => {
  const context = await watchedContext();
  const page = await signInWith(context, setupLink('keys@acme.example'));
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  assert.equal(await skip.evaluate((el) => el === document.activeElement), true, 'Tab reaches the skip link first');
  const outline = await skip.evaluate((el) => getComputedStyle(el).outlineStyle);
  assert.notEqual(outline, 'none', 'focus is visible');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'main', 'Enter moves focus to the content');
  await page.goto(`${base}/console/users`);
  await page.getByLabel('Email').focus();
  await page.keyboard.type('keyboard@acme.example');
  const loaded = page.waitForEvent('load');
  await page.keyboard.press('Enter');
  await loaded;
  assert.equal(await rowOf(page, 'keyboard@acme.example').count(), 1);
  assertNoProblems(context);
});

test('made-up setup links and session cookies from one address are refused before they cost a lookup', async () => {
  const statuses = [];
  for (let i = 0; i < 30; ++i) {
    const fake = randomBytes(32).toString('base64url');
    const res = i % 2 === 0
      ? await fetch(`${base}/console/setup/${fake}`)
      : await fetch(`${base}/console`, { headers: { Cookie: `console=${fake}` }, redirect: 'manual' });
    statuses.push(res.status);
  }
  assert.ok(statuses.slice(0, 10).every((s) => s === 404 || s === 303), `the first attempts are looked up: ${statuses}`);
  const refused = statuses.filter((s) => s === 429).length;
  assert.ok(refused >= 5, `past the burst (20) the address is refused: ${statuses}`);
  const last = await fetch(`${base}/console/setup/${randomBytes(32).toString('base64url')}`);
  assert.equal(last.status, 429);
  assert.ok(Number(last.headers.get('retry-after')) >= 1);
  // The bucket refills (5 per second by default): a real link works again within seconds.
  const url = setupLink('after-flood@acme.example', 'viewer');
  await waitFor(async () => (await fetch(url)).status === 200, 15000, 'the address to be let in again');
});
