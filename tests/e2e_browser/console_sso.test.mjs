// Console sign-in by a tenant's own OIDC client, in a real browser (Debian's Chromium driven by
// playwright-core) against the real binary, the real PostgreSQL and a real OpenID Provider at
// its defaults (oidc-provider, tests/idp/oidc_op.mjs): setup link -> the Owner's console SSO set
// by the CLI -> sign-in by SSO links the identity -> a later sign-in is bound by subject even
// after the provider's email changed -> changing an Admin's role asks for a step-up, which works
// -> the change succeeds. And the refusals: a wrong state, a replayed or another browser's
// answer, a suspended member, a stranger with just-in-time creation off.
//
// Needs CHAL_BINARY, CHAL_TEST_DATABASE_URL and /usr/bin/chromium; scripts/test provides them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor as waitUntil } from '../e2e_node/live_helpers.mjs';
import { launchChromium, startFixture, startServer, stopChild } from './harness.mjs';

const binary = process.env.CHAL_BINARY;
const database = process.env.CHAL_TEST_DATABASE_URL;
const masterKey = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
const clientId = 'challenge-console';
const clientSecret = 'console-s3cret+with/odd=chars';
const work = mkdtempSync(path.join(os.tmpdir(), 'chal-console-sso-'));
// The database is shared with other suites and runs: this run's people have addresses of their own.
const run = `${Date.now().toString(36)}${process.pid}`;
const person = (name) => `${name}.${run}@example.com`;
const ownerEmail = person('owner');
const renamedOwnerEmail = person('owner.renamed');
const adminEmail = person('admin');
const suspendedEmail = person('suspended');
const strangerEmail = person('stranger');

let server, base, op, opPort, browser, tenantId, env, setupUrl;
let serverLog = '';
const waitFor = (condition, ms, what) => waitUntil(condition, ms, what, () => serverLog.slice(-4000));

function cli(args) {
  return execFileSync(binary, args, { env, encoding: 'utf8' });
}

function psql(sql) {
  return execFileSync('psql', [database, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { encoding: 'utf8' }).trim();
}

// The provider's people; the Owner's email at the provider is `ownerEmail` (subject unchanged).
function usersFile(ownerAtProvider) {
  const file = path.join(work, `users-${Date.now()}-${Math.random()}.json`);
  writeFileSync(file, JSON.stringify([
    { sub: `sub-owner-${run}`, email: ownerAtProvider },
    { sub: `sub-admin-${run}`, email: adminEmail },
    { sub: `sub-suspended-${run}`, email: suspendedEmail },
    { sub: `sub-stranger-${run}`, email: strangerEmail },
  ]));
  return file;
}

function startProvider(ownerAtProvider, port) {
  return startFixture('../idp/oidc_op.mjs', ['--client-id', clientId, '--client-secret', clientSecret,
    '--redirect-uri', `${base}/console/auth/callback`, '--users', usersFile(ownerAtProvider),
    ...(port ? ['--port', String(port)] : [])]);
}

async function lastAuthorizationRequest() {
  const res = await fetch(`${op.admin_url}/requests`);
  const { requests } = await res.json();
  return requests.at(-1);
}

async function loginAtProvider(page, login) {
  await page.waitForSelector('input[name="login"]', { timeout: 15000 });
  await page.fill('input[name="login"]', login);
  await page.fill('input[name="password"]', 'password');
  await Promise.all([page.waitForURL((u) => u.href.startsWith(base), { timeout: 15000 }), page.click('#submit')]);
  await page.waitForLoadState('domcontentloaded');
}

// Every callback URL the browser is sent to, to replay it.
function recordCallbacks(page) {
  const seen = [];
  page.on('request', (r) => { if (new URL(r.url()).pathname === '/console/auth/callback') seen.push(r.url()); });
  return seen;
}

// A new browser (its own cookies) signs in by SSO: our form with `email`, then the provider's
// login as `login`. Returns where it lands.
async function signInBySso(email, login = email) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const callbacks = recordCallbacks(page);
  const startAnswers = [];
  page.on('response', (r) => {
    if (r.request().method() === 'POST' && new URL(r.url()).pathname === '/console/sign-in') startAnswers.push(r);
  });
  await page.goto(`${base}/console/sign-in`);
  await page.fill('#email', email);
  await page.click('button[type="submit"]');
  await loginAtProvider(page, login);
  return { ctx, page, callbacks, startAnswers };
}

async function sessionCookie(ctx) {
  return (await ctx.cookies(base)).find((c) => c.name === 'console');
}

function userId(email) {
  return psql(`SELECT id FROM console_users WHERE lower(email) = lower('${email}')`);
}

before(async () => {
  assert.ok(binary, 'CHAL_BINARY must name the built challenge binary');
  assert.ok(database, 'CHAL_TEST_DATABASE_URL must be set');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  op = await startProvider(ownerEmail);
  opPort = new URL(op.issuer).port;
  env = { ...process.env, DATABASE_URL: database, CHALLENGE_MASTER_KEY: masterKey, CHALLENGE_ALLOW_HTTP_IDP: 'true',
    CHALLENGE_PUBLIC_BASE_URL: base };
  cli(['migrate']);
  const created = cli(['tenant', 'create', '--name', `Console SSO ${Date.now()}`, '--owner-email', ownerEmail, '--json']);
  const link = JSON.parse(created.trim().split('\n').at(-1));
  tenantId = link.tenant_id;
  setupUrl = link.setup_url;
  const serverEnv = { ...env, CHALLENGE_PORT: String(port), CHALLENGE_ALLOW_LOOPBACK_IDP: 'true', CHALLENGE_LOG_LEVEL: 'info' };
  server = await startServer(binary, serverEnv, base, (d) => { serverLog += d; }, waitFor);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await stopChild(server);
  await stopChild(op?.child);
});

test('setup link, SSO set by the CLI, sign-in by SSO bound by subject, and a step-up before changing an Admin', async () => {
  // The first Owner arrives with the operator's setup link and adds the people the tests need.
  const first = await browser.newContext();
  const owner = await first.newPage();
  await owner.goto(setupUrl);
  await Promise.all([owner.waitForURL(`${base}/console`), owner.click('button[type="submit"]')]);
  await owner.goto(`${base}/console/users`);
  for (const [email, role] of [[adminEmail, 'admin'], [suspendedEmail, 'viewer']]) {
    await owner.fill('#email', email);
    await owner.selectOption('#role', role);
    await Promise.all([owner.waitForEvent('load'), owner.click('button:has-text("Add user")')]);
  }

  // The operator configures the tenant's console SSO; the secret never comes back.
  const secretFile = path.join(work, 'client-secret');
  writeFileSync(secretFile, `${clientSecret}\n`);
  const set = cli(['console', 'set-sso', '--tenant', tenantId, '--issuer', op.issuer, '--client-id', clientId,
    '--client-secret-file', secretFile, '--json']);
  const shown = cli(['console', 'show-sso', '--tenant', tenantId, '--json']);
  for (const out of [set, shown]) {
    assert.equal(out.includes(clientSecret), false, 'the secret is never printed');
    const json = JSON.parse(out);
    assert.equal(json.configured, true);
    assert.equal(json.client_secret_set, true);
    assert.match(json.client_secret_fingerprint, /^[0-9a-f]{16}$/);
    assert.equal(json.jit_viewers, false, 'just-in-time creation is off by default');
  }
  assert.match(cli(['console', 'show-sso', '--tenant', tenantId]), new RegExp(`redirect URI: +${base}/console/auth/callback`));

  await Promise.all([owner.waitForURL(`${base}/console/sign-in`), owner.click('text=Sign out')]);
  await first.close();

  // First SSO sign-in: linked by the verified email, audited.
  const one = await signInBySso(ownerEmail);
  assert.equal(new URL(one.page.url()).pathname, '/console');
  assert.match(await one.page.textContent('.site-header .account'), new RegExp(`${ownerEmail.replace(/\./g, '\\.')} \\(Owner\\)`));
  const authorization = await lastAuthorizationRequest();
  assert.equal(authorization.code_challenge_method, 'S256');
  assert.ok(authorization.state && authorization.nonce && authorization.code_challenge);
  assert.equal(authorization.redirect_uri, `${base}/console/auth/callback`);
  assert.equal(authorization.prompt, undefined, 'a normal sign-in does not force the password again');
  const session = await sessionCookie(one.ctx);
  assert.ok(session, 'a session cookie');
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Lax');
  assert.equal(session.path, '/');
  const loginCookie = await one.startAnswers[0].headerValue('set-cookie');
  assert.match(loginCookie, /^console_login=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=600$/);
  assert.equal((await one.ctx.cookies(base)).some((c) => c.name === 'console_login'), false, 'spent with the callback');
  assert.equal(psql(`SELECT count(*) FROM audit_events WHERE tenant_id = '${tenantId}' AND action = 'console.identity_linked'`), '1');
  await Promise.all([one.page.waitForURL(`${base}/console/sign-in`), one.page.click('text=Sign out')]);
  await one.ctx.close();

  // The provider now knows the Owner by another email: the binding is the subject.
  await stopChild(op.child);
  op = await startProvider(renamedOwnerEmail, opPort);
  const two = await signInBySso(ownerEmail, renamedOwnerEmail);
  assert.equal(new URL(two.page.url()).pathname, '/console');
  assert.match(await two.page.textContent('.site-header .account'), new RegExp(`${ownerEmail.replace(/\./g, '\\.')} \\(Owner\\)`));
  assert.equal(psql(`SELECT count(*) FROM console_identities WHERE tenant_id = '${tenantId}'`), '1');

  // Ten minutes on, the sign-in is no longer fresh: changing an Admin's role asks for a step-up.
  psql(`UPDATE console_sessions SET auth_time = auth_time - interval '10 minutes' WHERE tenant_id = '${tenantId}' AND ended_at IS NULL`);
  const admin = userId(adminEmail);
  const page = two.page;
  await page.goto(`${base}/console/users`);
  await page.selectOption(`#role-${admin}`, 'analyst');
  await Promise.all([page.waitForEvent('load'), page.click(`form:has(#role-${admin}) button[type="submit"]`)]);
  await page.waitForSelector('#sign-in-again');
  assert.match(await page.textContent('[role="alert"]'), /Sign in again/);
  const before = (await sessionCookie(two.ctx)).value;
  await page.click('#sign-in-again');
  await page.waitForSelector('input[name="login"]', { timeout: 15000 });
  const stepUp = await lastAuthorizationRequest();
  assert.equal(stepUp.prompt, 'login');
  assert.equal(stepUp.max_age, '0');
  await loginAtProvider(page, renamedOwnerEmail);
  assert.equal(new URL(page.url()).pathname, '/console/users', 'back where the step-up started');
  const after = (await sessionCookie(two.ctx)).value;
  assert.notEqual(after, before, 'a new session token on re-authentication');
  assert.equal(psql(`SELECT end_reason FROM console_sessions WHERE end_reason = 'reauthenticated' AND tenant_id = '${tenantId}'`), 'reauthenticated');

  await page.selectOption(`#role-${admin}`, 'analyst');
  await Promise.all([page.waitForEvent('load'), page.click(`form:has(#role-${admin}) button[type="submit"]`)]);
  assert.equal(psql(`SELECT role FROM memberships WHERE tenant_id = '${tenantId}' AND user_id = '${admin}'`), 'analyst');
  await two.ctx.close();
});

test('an answer with an unknown state, from another browser, or replayed is refused and signs nobody in', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const wrong = await page.goto(`${base}/console/auth/callback?state=${randomUUID()}&code=made-up`);
  assert.equal(wrong.status(), 400);
  assert.match(await page.textContent('main'), /cannot be used/);
  await ctx.close();

  const sessions = () => psql(`SELECT count(*) FROM console_sessions WHERE tenant_id = '${tenantId}'`);
  const signedIn = await signInBySso(adminEmail);
  assert.equal(new URL(signedIn.page.url()).pathname, '/console');
  const answer = signedIn.callbacks.at(-1);
  const count = sessions();
  const replay = await signedIn.page.goto(answer);
  assert.equal(replay.status(), 400, 'the state was spent by its first answer');
  const elsewhere = await browser.newContext();
  const other = await elsewhere.newPage();
  assert.equal((await other.goto(answer)).status(), 400);
  assert.equal(sessions(), count, 'no session was opened');
  await elsewhere.close();
  await signedIn.ctx.close();
});

test('a suspended member and a stranger (just-in-time creation off) are refused after signing in', async () => {
  psql(`UPDATE memberships SET status = 'suspended' WHERE tenant_id = '${tenantId}' AND user_id = '${userId(suspendedEmail)}'`);
  const suspended = await signInBySso(suspendedEmail);
  assert.equal(new URL(suspended.page.url()).pathname, '/console/auth/callback');
  assert.match(await suspended.page.textContent('main'), /suspended/);
  assert.equal(await sessionCookie(suspended.ctx), undefined);
  await suspended.ctx.close();

  // A stranger starts from the tenant's own sign-in link: our form would not know their address.
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${base}/console/sign-in?tenant=${tenantId}`);
  await page.click('text=Continue to sign in');
  await loginAtProvider(page, strangerEmail);
  assert.match(await page.textContent('main'), /Ask an admin to add you/);
  assert.equal(await sessionCookie(ctx), undefined);
  assert.equal(psql(`SELECT count(*) FROM console_users WHERE email = '${strangerEmail}'`), '0', 'nothing written');
  assert.ok(Number(psql(`SELECT count(*) FROM audit_events WHERE tenant_id = '${tenantId}' AND action = 'console.signed_in' AND outcome = 'denied'`)) >= 2);
  await ctx.close();
});
