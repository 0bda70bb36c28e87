// The target's verification in a real browser (Debian's Chromium driven by playwright-core)
// against the real binary, a real OpenID Provider (oidc-provider, tests/idp/oidc_op.mjs) and
// the real PostgreSQL. Callbacks arrive at the published guide's Express receiver, which checks
// their signatures; receipts are checked with jose, an independent JOSE implementation.
//
// Needs CHAL_BINARY, CHAL_TEST_DATABASE_URL and /usr/bin/chromium; scripts/test provides them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createGuideReceiver } from '../e2e_node/guide_verifiers.mjs';
import { freePort, waitFor as waitUntil } from '../e2e_node/live_helpers.mjs';
import { launchChromium, startFixture, startServer, stopChild } from './harness.mjs';

const binary = process.env.CHAL_BINARY;
const database = process.env.CHAL_TEST_DATABASE_URL;
const masterKey = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
const webhookSecret = 'your-webhook-secret';
const clientId = 'challenge-browser-test';
const clientSecret = 's3cr+t%:with/odd=chars';

let server, port, base, apiKey, tenantId, op, claimsOp, samlIdp, browser, receiver, receiverPort;
// Keys of tenants configured otherwise: click-through (none), nothing, an IdP at a forbidden address,
// SAML, an OIDC provider that puts the claims in the ID token, one that requires an acr.
const otherKeys = {};
let serverLog = '';
const callbacks = [];

const waitFor = (condition, ms, what) => waitUntil(condition, ms, what, () => serverLog.slice(-4000));

function cli(args, env) {
  return execFileSync(binary, args, { env, encoding: 'utf8' });
}

async function api(method, urlPath, body, key = apiKey) {
  const res = await fetch(`${base}${urlPath}`, {
    method,
    headers: { 'X-API-Key': key, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function createChallenge(extra = {}, key = apiKey) {
  const created = await api('POST', '/api/v1/challenges', {
    target_user_email: 'alice@example.com',
    context: 'Password reset requested on a help-desk call',
    callback_url: `http://127.0.0.1:${receiverPort}/webhook/callback`,
    ...extra,
  }, key);
  assert.equal(created.status, 201, JSON.stringify(created.json));
  return created.json;
}

async function statusOf(id, key = apiKey) {
  return (await api('GET', `/api/v1/challenges/${id}`, undefined, key)).json;
}

function psql(sql) {
  return execFileSync('psql', [database, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { encoding: 'utf8' });
}



// The tenant a receipt names (read unverified, to pick the audience to verify it against).
function payload_tenant(receipt) {
  return JSON.parse(Buffer.from(receipt.split('.')[1], 'base64url').toString('utf8')).tenant_id;
}

async function spoilNextSamlResponse(mode) {
  const res = await fetch(`${samlIdp.admin_url}/next-response`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ mode }),
  });
  assert.equal(res.status, 200, await res.text());
}

// Opens the link, signs in at the SAML IdP and returns where the browser lands; `captured`
// receives the form the IdP posted to our ACS.
async function samlSignIn(url, { email = 'alice@example.com', captured } = {}) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  if (captured) {
    page.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === '/saml/acs') Object.assign(captured, { form: r.postData() });
    });
  }
  await page.goto(url);
  await page.click('#verify');
  await page.waitForSelector('input[name="email"]', { timeout: 15000 });
  await page.fill('input[name="email"]', email);
  // The IdP's page posts to our ACS, which answers with the outcome (redirects committed first).
  await Promise.all([page.waitForURL((u) => u.href.startsWith(base), { timeout: 15000 }), page.click('#login')]);
  await page.waitForLoadState('domcontentloaded');
  return { ctx, page };
}

async function spoilNextIdToken(mode) {
  const res = await fetch(`${op.admin_url}/next-id-token`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ mode }),
  });
  assert.equal(res.status, 200, await res.text());
}

// Catches the provider's answer instead of following it: the provider's last response, whose
// Location is our callback, is not followed (redirects are not routed, so it is caught where it
// is made). `page.callbackUrl()` is then that answer's URL.
async function holdProviderAnswer(context, page, provider = op) {
  let callbackUrl;
  const isProvider = (url) => url.origin === new URL(provider.issuer).origin;
  await page.route(isProvider, async (route) => {
    let url = route.request().url();
    let response = await route.fetch({ maxRedirects: 0 });
    for (let hop = 0; hop < 10; hop++) {
      const location = response.headers().location;
      if (!location) break;
      const next = new URL(location, url);
      if (next.pathname === '/auth/callback/oidc') {
        callbackUrl = next.href;
        await route.abort();
        return;
      }
      if (!isProvider(next)) break;
      url = next.href;
      response = await context.request.get(url, { maxRedirects: 0 });  // shares the context's cookies
    }
    await route.fulfill({ response });
  });
  return {
    answer: async () => { await waitFor(() => callbackUrl !== undefined, 15000, 'the provider to answer'); return callbackUrl; },
    release: () => page.unroute(isProvider),
  };
}

async function loginAtProvider(page, login = 'alice@example.com') {
  await page.waitForSelector('input[name="login"]', { timeout: 15000 });
  await page.fill('input[name="login"]', login);
  await page.fill('input[name="password"]', 'password');
  await page.click('#submit');
}

// Opens the link in a fresh browser context (its own cookies) and signs in at the provider.
async function signInThroughLink(url, { login = 'alice@example.com', context } = {}) {
  const ctx = context ?? (await browser.newContext());
  const page = await ctx.newPage();
  await page.goto(url);
  await page.click('#verify');
  await page.waitForSelector('input[name="login"]', { timeout: 15000 });
  await page.fill('input[name="login"]', login);
  await page.fill('input[name="password"]', 'password');
  await Promise.all([page.waitForURL((u) => u.href.startsWith(base), { timeout: 15000 }), page.click('#submit')]);
  await page.waitForLoadState('domcontentloaded');
  return { ctx, page };
}

before(async () => {
  assert.ok(binary, 'CHAL_BINARY must name the built challenge binary');
  assert.ok(database, 'CHAL_TEST_DATABASE_URL must be set');
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  // The main provider runs at oidc-provider's defaults: its ID tokens carry only `sub`, and the
  // email comes from UserInfo. The second puts the claims in the ID token, as many IdPs do.
  op = await startFixture('../idp/oidc_op.mjs', ['--client-id', clientId, '--client-secret', clientSecret,
    '--redirect-uri', `${base}/auth/callback/oidc`, '--alg', 'ES256']);
  claimsOp = await startFixture('../idp/oidc_op.mjs', ['--client-id', clientId, '--client-secret', clientSecret,
    '--redirect-uri', `${base}/auth/callback/oidc`, '--id-token-claims']);
  samlIdp = await startFixture('../idp/saml_idp.mjs');

  // The IdPs here are plain http on loopback: the development setting, for the CLI as for the server.
  const env = { ...process.env, DATABASE_URL: database, CHALLENGE_MASTER_KEY: masterKey, CHALLENGE_ALLOW_HTTP_IDP: 'true' };
  cli(['migrate'], env);
  const tenant = JSON.parse(cli(['tenant', 'create', '--name', `Browser ${Date.now()}`, '--json'], env));
  tenantId = tenant.tenant_id;
  const integration = JSON.parse(cli(['integration', 'create-webhook', '--tenant', tenantId, '--name', 'ITSM',
    '--secret', webhookSecret, '--json'], env));
  apiKey = integration.api_key;
  cli(['tenant', 'set-oidc', '--tenant', tenantId, '--issuer', op.issuer, '--client-id', clientId,
    '--client-secret', clientSecret], env);
  cli(['tenant', 'set-support', '--tenant', tenantId, '--email', 'help@example.com', '--phone', '+1 555 0100'], env);
  cli(['tenant', 'set-additional-context', '--tenant', tenantId, 'on'], env);
  for (const kind of ['none', 'unconfigured', 'forbidden_idp', 'saml', 'claims_in_id_token', 'acr']) {
    const other = JSON.parse(cli(['tenant', 'create', '--name', `Browser ${kind} ${Date.now()}`, '--json'], env));
    otherKeys[kind] = JSON.parse(cli(['integration', 'create-webhook', '--tenant', other.tenant_id, '--name', kind,
      '--json'], env)).api_key;
    if (kind === 'none') cli(['tenant', 'set-auth-none', '--tenant', other.tenant_id, '--i-understand-this-is-weaker'], env);
    if (kind === 'saml') {
      const metadataFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'chal-saml-')), 'idp.xml');
      writeFileSync(metadataFile, samlIdp.metadata_xml);
      cli(['tenant', 'set-saml', '--tenant', other.tenant_id, '--metadata-file', metadataFile], env);
    }
    if (kind === 'claims_in_id_token') {
      cli(['tenant', 'set-oidc', '--tenant', other.tenant_id, '--issuer', claimsOp.issuer, '--client-id', clientId,
        '--client-secret', clientSecret], env);
    }
    if (kind === 'acr') {
      cli(['tenant', 'set-oidc', '--tenant', other.tenant_id, '--issuer', op.issuer, '--client-id', clientId,
        '--client-secret', clientSecret, '--require-acr', 'urn:example:mfa'], env);
    }
    if (kind === 'forbidden_idp') {
      // The cloud metadata address: the IdP client must refuse it before connecting.
      cli(['tenant', 'set-oidc', '--tenant', other.tenant_id, '--issuer', 'https://169.254.169.254/idp', '--client-id', 'x',
        '--client-secret', 'y'], env);
    }
  }

  const app = createGuideReceiver({ secret: webhookSecret, onEvent: (data) => callbacks.push(data) });
  receiver = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  receiverPort = receiver.address().port;

  const keyDir = mkdtempSync(path.join(os.tmpdir(), 'chal-receipt-'));
  for (const name of ['receipt.pem', 'retired.pem']) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(path.join(keyDir, name), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  }

  const serverEnv = {
    ...env, CHALLENGE_PORT: String(port), CHALLENGE_PUBLIC_BASE_URL: base,
    CHALLENGE_ALLOW_HTTP_CALLBACKS: 'true', CHALLENGE_ALLOW_LOOPBACK_CALLBACKS: 'true',
    CHALLENGE_ALLOW_HTTP_IDP: 'true', CHALLENGE_ALLOW_LOOPBACK_IDP: 'true',
    CHALLENGE_WEBHOOK_POLL_MS: '50', CHALLENGE_EXPIRY_SWEEP_MS: '200', CHALLENGE_DEVICE_DETAILS_GRACE_SECONDS: '2',
    CHALLENGE_RECEIPT_KEY_FILE: path.join(keyDir, 'receipt.pem'),
    CHALLENGE_RECEIPT_RETIRED_KEY_FILES: path.join(keyDir, 'retired.pem'), CHALLENGE_LOG_LEVEL: 'info',
  };
  server = await startServer(binary, serverEnv, base, (d) => { serverLog += d; }, waitFor);

  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await stopChild(server);
  await stopChild(op?.child);
  await stopChild(claimsOp?.child);
  await stopChild(samlIdp?.child);
  receiver?.close();
});

test('a fresh login at the provider verifies the target, with device details, a receipt and a signed callback', async () => {
  const created = await createChallenge();
  assert.match(created.verification_code, /^[0-9]{6}$/);
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(created.verification_url);
  assert.match(await page.textContent('main'), /Password reset requested on a help-desk call/);
  // Link previews and mail scanners fetch links too: only the target's action starts it.
  assert.equal((await statusOf(created.challenge_id)).status, 'initiated', 'opening the link changes nothing');
  await page.fill('#target_response', 'On a call with the help desk right now');
  await page.click('#verify');
  await page.waitForSelector('input[name="login"]', { timeout: 15000 });
  assert.equal((await statusOf(created.challenge_id)).status, 'in-progress', 'Verify starts it');
  await page.waitForSelector('input[name="login"]', { timeout: 15000 });
  await page.fill('input[name="login"]', 'alice@example.com');
  await page.fill('input[name="password"]', 'password');
  await page.click('#submit');
  await page.waitForURL(`${base}/challenge/verified/${created.challenge_id}`, { timeout: 15000 });
  assert.equal((await page.textContent('#code')).trim(), created.verification_code, 'the target sees the code after login');
  await page.waitForSelector('body[data-device-state="sent"]', { timeout: 10000 });

  const done = await statusOf(created.challenge_id);
  assert.equal(done.status, 'verified');
  assert.equal(done.auth_method, 'oidc');
  assert.equal(done.target_response, 'On a call with the help desk right now');
  assert.match(done.device_fingerprint.browser, /Chrom/);
  assert.match(done.device_fingerprint.screen, /^[0-9]+x[0-9]+$/);
  assert.equal(done.device_fingerprint.ip, '127.0.0.1');
  assert.equal(done.device_fingerprint.details_collected, true);

  // The receipt verifies offline with a standard JOSE library against our JWKS.
  const jwks = createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`));
  const { payload, protectedHeader } = await jwtVerify(done.receipt, jwks, {
    issuer: base, audience: `challenge-receipt:${tenantId}`,
  });
  assert.equal(protectedHeader.alg, 'ES256');
  assert.equal(payload.challenge_id, created.challenge_id);
  assert.equal(payload.tenant_id, tenantId);
  assert.equal(payload.sub, 'alice@example.com');
  assert.equal(payload.auth_method, 'oidc');
  assert.equal(typeof payload.auth_time, 'number');
  assert.match(payload.device_sha256, /^[0-9a-f]{64}$/);
  assert.ok(payload.exp > payload.iat);
  // Rotation: the retired key is still published, but the receipt names the current one.
  const published = (await (await fetch(`${base}/.well-known/jwks.json`)).json()).keys;
  assert.equal(published.length, 2);
  assert.equal(published[0].kid, protectedHeader.kid);
  // A forwarded-for header from a peer that is not a configured proxy is ignored.
  assert.equal(done.device_fingerprint.ip, '127.0.0.1');

  // The provider was asked for a forced, PKCE-protected login.
  const requests = (await (await fetch(`${op.admin_url}/requests`)).json()).requests;
  const sent = requests.at(-1);
  assert.equal(sent.prompt, 'login');
  assert.equal(sent.max_age, '0');
  assert.equal(sent.code_challenge_method, 'S256');
  assert.ok(sent.nonce && sent.state);
  assert.equal(sent.acr_values, undefined, 'no acr asked for when none is required');
  // The provider ran at its defaults: the email came from UserInfo, for the ID token's subject.
  const login = JSON.parse(psql(`SELECT login::text FROM challenges WHERE id = '${created.challenge_id}'`));
  assert.equal(login.issuer, op.issuer);
  assert.equal(login.subject, 'alice@example.com');

  await waitFor(() => callbacks.some((c) => c.challenge_id === created.challenge_id), 10000, 'the callback');
  const callback = callbacks.find((c) => c.challenge_id === created.challenge_id);
  assert.equal(callback.status, 'verified');
  assert.equal(callback.receipt, done.receipt);
  assert.equal(callback.device_fingerprint.screen, done.device_fingerprint.screen);

  // Going back to the provider's answer cannot complete anything twice.
  await page.goBack();
  await ctx.close();
});

test('signing in as someone else fails the challenge as identity_mismatch and says so', async () => {
  const created = await createChallenge();
  const { ctx, page } = await signInThroughLink(created.verification_url, { login: 'bob@example.com' });
  assert.match(await page.textContent('main'), /You signed in as bob@example\.com/);
  const after = await statusOf(created.challenge_id);
  assert.equal(after.status, 'failed');
  assert.equal(after.failure_reason, 'identity_mismatch');
  assert.equal(after.receipt, null);
  await ctx.close();
});

for (const mode of ['tamper_signature', 'wrong_nonce', 'stale_auth_time', 'wrong_audience', 'wrong_issuer', 'expired']) {
  test(`an ID token with ${mode} is refused and nothing is verified`, async () => {
    const created = await createChallenge();
    await spoilNextIdToken(mode);
    const { ctx, page } = await signInThroughLink(created.verification_url);
    assert.match(await page.textContent('h1'), /could not be confirmed/);
    const after = await statusOf(created.challenge_id);
    assert.equal(after.status, 'in-progress', `${mode}: the challenge must not change`);
    assert.equal(after.receipt, null);
    await ctx.close();
  });
}

test('a report of an incident fails the challenge with the reason and the text, and calls back', async () => {
  const created = await createChallenge();
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(created.verification_url);
  await page.click('#report');
  await page.fill('#details', 'I did not ask for a password reset');
  await page.click('#confirm-report');
  assert.match(await page.textContent('h1'), /Thank you for reporting/);
  const after = await statusOf(created.challenge_id);
  assert.equal(after.status, 'failed');
  assert.equal(after.failure_reason, 'incident_reported');
  assert.equal(after.target_response, 'I did not ask for a password reset');
  await waitFor(() => callbacks.some((c) => c.challenge_id === created.challenge_id), 10000, 'the incident callback');
  assert.equal(callbacks.find((c) => c.challenge_id === created.challenge_id).event_type, 'challenge.incident_reported');
  await ctx.close();
});

test('a provider answer presented in another browser is refused and can never be used afterwards', async () => {
  // Someone holding the link starts a sign-in; the real target is lured into answering it.
  const created = await createChallenge();
  const first = await browser.newContext();
  const page = await first.newPage();
  const held = await holdProviderAnswer(first, page);
  await page.goto(created.verification_url);
  await page.click('#verify');
  await loginAtProvider(page);
  const callbackUrl = await held.answer();

  const second = await browser.newContext();
  const other = await second.newPage();
  await other.goto(callbackUrl);
  assert.match(await other.textContent('main'), /another browser|open the link again/i);
  assert.equal((await statusOf(created.challenge_id)).status, 'in-progress');

  // The answer is spent: not even the browser that started the flow can use it now.
  await held.release();
  await page.goto(callbackUrl);
  assert.match(await page.textContent('h1'), /already used/);
  assert.equal((await statusOf(created.challenge_id)).status, 'in-progress');
  assert.equal((await statusOf(created.challenge_id)).receipt, null);
  await first.close();
  await second.close();
});

test('an answer without the iss parameter the provider always sends is refused (RFC 9207)', async () => {
  const created = await createChallenge();
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const held = await holdProviderAnswer(ctx, page);
  await page.goto(created.verification_url);
  await page.click('#verify');
  await loginAtProvider(page);
  const answer = new URL(await held.answer());
  assert.equal(answer.searchParams.get('iss'), op.issuer, 'the provider sends iss');
  answer.searchParams.delete('iss');
  await held.release();
  await page.goto(answer.href);
  assert.match(await page.textContent('h1'), /could not be confirmed/);
  assert.match(serverLog, /iss parameter missing/);
  assert.equal((await statusOf(created.challenge_id)).status, 'in-progress');
  await ctx.close();
});

test('an email the provider has not verified proves nobody', async () => {
  const created = await createChallenge({ target_user_email: 'unverified@example.com' });
  const { ctx, page } = await signInThroughLink(created.verification_url, { login: 'unverified@example.com' });
  assert.match(await page.textContent('main'), /has not confirmed your email address/);
  const after = await statusOf(created.challenge_id);
  assert.equal(after.status, 'in-progress', 'refused, not verified and not failed');
  assert.equal(after.receipt, null);
  await ctx.close();
});

test('a provider that puts the claims in the ID token verifies without UserInfo', async () => {
  const created = await createChallenge({}, otherKeys.claims_in_id_token);
  const { ctx, page } = await signInThroughLink(created.verification_url);
  assert.equal(new URL(page.url()).pathname, `/challenge/verified/${created.challenge_id}`, await page.textContent('main'));
  await page.waitForSelector('body[data-device-state="sent"]', { timeout: 10000 });
  assert.equal((await statusOf(created.challenge_id, otherKeys.claims_in_id_token)).status, 'verified');
  await ctx.close();
});

test('a tenant that requires an acr asks the provider for it and refuses a login without it', async () => {
  const created = await createChallenge({}, otherKeys.acr);
  const { ctx, page } = await signInThroughLink(created.verification_url);
  const sent = (await (await fetch(`${op.admin_url}/requests`)).json()).requests.at(-1);
  assert.equal(sent.acr_values, 'urn:example:mfa');
  assert.match(await page.textContent('main'), /required method/);
  assert.equal((await statusOf(created.challenge_id, otherKeys.acr)).status, 'in-progress');
  await ctx.close();
});

test('forms without their CSRF token or cookie change nothing', async () => {
  const created = await createChallenge();
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(created.verification_url);
  const verify = await page.evaluate(async (id) => {
    const res = await fetch(`/challenge/start/${id}/verify`, {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'csrf=forged',
    });
    return res.status;
  }, created.challenge_id);
  assert.equal(verify, 403);
  const report = await fetch(`${base}/challenge/start/${created.challenge_id}/report`, {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'details=x',
  });
  assert.equal(report.status, 403, 'no cookie, no report');
  assert.equal((await statusOf(created.challenge_id)).status, 'initiated');
  await ctx.close();
});

test('finished, withdrawn and unknown links show a clear page and never a Verify button', async () => {
  const created = await createChallenge();
  assert.equal((await api('POST', `/api/v1/challenges/${created.challenge_id}/cancel`)).status, 200);
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const res = await page.goto(created.verification_url);
  assert.equal(res.status(), 409);
  assert.match(await page.textContent('main'), /withdrawn/);
  assert.equal(await page.$('#verify'), null);
  assert.match(await page.textContent('main'), /help@example\.com/, 'the support contacts are shown');
  const unknown = await page.goto(`${base}/challenge/start/01900000-0000-7000-8000-000000000000`);
  assert.equal(unknown.status(), 404);
  assert.equal(await page.$('#verify'), null);
  await ctx.close();
});

test('every page carries the security headers', async () => {
  const created = await createChallenge();
  const res = await fetch(created.verification_url);
  const csp = res.headers.get('content-security-policy');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.match(csp, /script-src 'self'/);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
  // JSON answers and error answers carry the baseline too.
  for (const url of [`${base}/api/v1/challenges/${created.challenge_id}`, `${base}/no/such/route`, `${base}/.well-known/jwks.json`]) {
    const other = await fetch(url, { headers: { 'X-API-Key': apiKey } });
    assert.equal(other.headers.get('x-content-type-options'), 'nosniff', url);
    assert.match(other.headers.get('content-security-policy'), /frame-ancestors 'none'/, url);
  }
  const cookie = res.headers.get('set-cookie');
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Lax/);
});

test('a click-through tenant verifies with auth_method none, says it is weaker, and its receipt claims no login', async () => {
  const created = await createChallenge({}, otherKeys.none);
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(created.verification_url);
  assert.match(await page.textContent('main'), /click-through verification/);
  await page.click('#verify');
  await page.waitForURL(`${base}/challenge/verified/${created.challenge_id}`);
  assert.equal((await page.textContent('#code')).trim(), created.verification_code);
  await page.waitForSelector('body[data-device-state="sent"]', { timeout: 10000 });
  const done = await statusOf(created.challenge_id, otherKeys.none);
  assert.equal(done.status, 'verified');
  assert.equal(done.auth_method, 'none');
  const jwks = createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`));
  const { payload } = await jwtVerify(done.receipt, jwks, { issuer: base, audience: `challenge-receipt:${payload_tenant(done.receipt)}` });
  assert.equal(payload.auth_method, 'none');
  assert.equal('auth_time' in payload, false, 'nobody authenticated');
  // Another tenant's verifier (the main tenant's audience) refuses it.
  await assert.rejects(jwtVerify(done.receipt, jwks, { issuer: base, audience: `challenge-receipt:${tenantId}` }));
  await ctx.close();
});

test('a tenant without an identity provider cannot verify anyone', async () => {
  const created = await createChallenge({}, otherKeys.unconfigured);
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(created.verification_url);
  assert.match(await page.textContent('main'), /not configured/);
  assert.equal(await page.$('#verify'), null);
  assert.equal((await statusOf(created.challenge_id, otherKeys.unconfigured)).status, 'initiated');
  await ctx.close();
});

test('an identity provider at a forbidden address is refused before any connection', async () => {
  const created = await createChallenge({}, otherKeys.forbidden_idp);
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(created.verification_url);
  const answer = await Promise.all([page.waitForNavigation(), page.click('#verify')]).then(([r]) => r);
  assert.equal(answer.status(), 502);
  assert.match(serverLog, /oidc discovery failed[^\n]*challenge_id=[^\n]*/);
  assert.equal((await statusOf(created.challenge_id, otherKeys.forbidden_idp)).status, 'in-progress');
  await ctx.close();
});

test('a link past its expiry shows the expired page and its login cannot finish', async () => {
  const created = await createChallenge();
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(created.verification_url);
  await page.click('#verify');
  await page.waitForSelector('input[name="login"]', { timeout: 15000 });
  // The deadline passes while the target is at the provider.
  psql(`UPDATE challenges SET expires_at = now() - interval '1 second' WHERE id = '${created.challenge_id}'`);
  await page.fill('input[name="login"]', 'alice@example.com');
  await page.fill('input[name="password"]', 'password');
  await page.click('#submit');
  await page.waitForURL((u) => u.href.startsWith(`${base}/auth/callback/oidc`), { timeout: 15000 });
  assert.match(await page.textContent('h1'), /expired/);
  const again = await page.goto(created.verification_url);
  assert.equal(again.status(), 410);
  assert.equal(await page.$('#verify'), null);
  await waitFor(async () => (await statusOf(created.challenge_id)).status === 'expired', 10000, 'the expiry');
  assert.equal((await statusOf(created.challenge_id)).receipt, null);
  await ctx.close();
});

test('the device report cannot claim another IP through X-Forwarded-For from an untrusted peer', async () => {
  const created = await createChallenge({}, otherKeys.none);
  const ctx = await browser.newContext({ extraHTTPHeaders: { 'X-Forwarded-For': '203.0.113.77' } });
  const page = await ctx.newPage();
  await page.goto(created.verification_url);
  await page.click('#verify');
  await page.waitForSelector('body[data-device-state="sent"]', { timeout: 10000 });
  const done = await statusOf(created.challenge_id, otherKeys.none);
  assert.equal(done.status, 'verified');
  assert.equal(done.device_fingerprint.ip, '127.0.0.1');
  await ctx.close();
});

test('a SAML login (ForceAuthn) verifies the target with auth_method saml and a receipt', async () => {
  const created = await createChallenge({}, otherKeys.saml);
  const { ctx, page } = await samlSignIn(created.verification_url);
  assert.equal(new URL(page.url()).pathname, `/challenge/verified/${created.challenge_id}`, await page.textContent('main'));
  assert.equal((await page.textContent('#code')).trim(), created.verification_code);
  await page.waitForSelector('body[data-device-state="sent"]', { timeout: 10000 });
  const done = await statusOf(created.challenge_id, otherKeys.saml);
  assert.equal(done.status, 'verified');
  assert.equal(done.auth_method, 'saml');
  const jwks = createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`));
  const { payload } = await jwtVerify(done.receipt, jwks, {
    issuer: base, audience: `challenge-receipt:${payload_tenant(done.receipt)}`,
  });
  assert.equal(payload.auth_method, 'saml');
  assert.equal(payload.sub, 'alice@example.com');
  const sent = (await (await fetch(`${samlIdp.admin_url}/requests`)).json()).requests.at(-1);
  assert.equal(sent.force_authn, 'true');
  assert.equal(sent.acs_url, `${base}/saml/acs`);
  assert.equal(sent.issuer, `${base}/saml/metadata`);
  await ctx.close();
});

test('our SAML metadata names the ACS and says what signatures it enforces', async () => {
  const res = await fetch(`${base}/saml/metadata`);
  assert.equal(res.status, 200);
  const xml = await res.text();
  assert.match(xml, new RegExp(`entityID="${base}/saml/metadata"`));
  assert.match(xml, new RegExp(`Location="${base}/saml/acs"`));
  // A signed Response around an unsigned assertion is accepted, so assertions need not be signed.
  assert.match(xml, /WantAssertionsSigned="false"/);
});

test('a SAML sign-in someone else started cannot be finished with the target\'s login (relay)', async () => {
  const created = await createChallenge({}, otherKeys.saml);
  // The attacker holds the link, starts a sign-in and stops at the genuine IdP page...
  const attacker = await browser.newContext();
  const mine = await attacker.newPage();
  await mine.goto(created.verification_url);
  await mine.click('#verify');
  await mine.waitForSelector('input[name="email"]', { timeout: 15000 });
  const idpUrl = mine.url();
  const flowId = await mine.inputValue('input[name="relay"]');
  // ...and sends that URL to the real target, who signs in there in their own browser.
  const target = await browser.newContext();
  const theirs = await target.newPage();
  await theirs.goto(idpUrl);
  await theirs.fill('input[name="email"]', 'alice@example.com');
  await Promise.all([theirs.waitForURL((u) => u.href.startsWith(base), { timeout: 15000 }), theirs.click('#login')]);
  assert.match(await theirs.textContent('main'), /another browser/i);
  // The attacker's browser has nothing to finish, now or later.
  const finish = await mine.goto(`${base}/saml/continue/${flowId}`);
  assert.notEqual(finish.status(), 200);
  assert.doesNotMatch(await mine.textContent('main'), /you are verified/i);
  const after = await statusOf(created.challenge_id, otherKeys.saml);
  assert.equal(after.status, 'in-progress');
  assert.equal(after.receipt, null);
  await attacker.close();
  await target.close();
});

test('a SAML sign-in page whose URL would break the Location header is never redirected to', async () => {
  const created = await createChallenge({}, otherKeys.saml);
  // Stored metadata is checked when set (set-saml); this one bypasses that, as an old row would.
  const tenant = psql(`SELECT tenant_id FROM challenges WHERE id = '${created.challenge_id}'`).trim();
  const stored = psql(`SELECT saml_idp_metadata FROM tenant_verification_settings WHERE tenant_id = '${tenant}'`);
  try {
    const broken = stored.replace(/(HTTP-Redirect" Location="[^"]*)"/, '$1&#13;&#10;Set-Cookie: planted=1"');
    assert.notEqual(broken, stored);
    psql(`UPDATE tenant_verification_settings SET saml_idp_metadata = $b$${broken}$b$ WHERE tenant_id = '${tenant}'`);
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(created.verification_url);
    const answer = await Promise.all([page.waitForNavigation(), page.click('#verify')]).then(([r]) => r);
    assert.equal(answer.status(), 502);
    assert.equal(answer.headers()['set-cookie']?.includes('planted'), undefined);
    assert.equal((await ctx.cookies()).some((c) => c.name === 'planted'), false);
    await ctx.close();
  } finally {
    psql(`UPDATE tenant_verification_settings SET saml_idp_metadata = $b$${stored.replace(/\n$/, '')}$b$ WHERE tenant_id = '${tenant}'`);
  }
});

test('a SAML login as someone else fails the challenge as identity_mismatch', async () => {
  const created = await createChallenge({}, otherKeys.saml);
  const { ctx, page } = await samlSignIn(created.verification_url, { email: 'bob@example.com' });
  assert.match(await page.textContent('main'), /You signed in as bob@example\.com/);
  const after = await statusOf(created.challenge_id, otherKeys.saml);
  assert.equal(after.status, 'failed');
  assert.equal(after.failure_reason, 'identity_mismatch');
  await ctx.close();
});

for (const mode of ['tamper_signature', 'wrong_audience', 'expired', 'unsigned', 'stale_login']) {
  test(`a SAML response with ${mode} is refused and nothing is verified`, async () => {
    const created = await createChallenge({}, otherKeys.saml);
    await spoilNextSamlResponse(mode);
    const { ctx, page } = await samlSignIn(created.verification_url);
    assert.match(await page.textContent('h1'), /could not be confirmed/);
    const after = await statusOf(created.challenge_id, otherKeys.saml);
    assert.equal(after.status, 'in-progress', `${mode}: the challenge must not change`);
    await ctx.close();
  });
}

test('a replayed SAML response is refused, for its own flow and for another', async () => {
  const first = await createChallenge({}, otherKeys.saml);
  const captured = {};
  const { ctx } = await samlSignIn(first.verification_url, { captured });
  assert.ok(captured.form, 'the ACS post was seen');
  await waitFor(async () => (await statusOf(first.challenge_id, otherKeys.saml)).status === 'verified', 10000, 'verified');
  await ctx.close();

  // The same POST again: its flow is used.
  const again = await fetch(`${base}/saml/acs`, {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: captured.form, redirect: 'manual',
  });
  assert.notEqual(again.status, 303);

  // The same assertion into a new flow of another challenge: refused (not an answer to its request).
  const second = await createChallenge({}, otherKeys.saml);
  const other = await browser.newContext();
  const page = await other.newPage();
  await page.goto(second.verification_url);
  await page.click('#verify');
  await page.waitForSelector('input[name="email"]', { timeout: 15000 });
  const relay = await page.inputValue('input[name="relay"]');
  const replay = new URLSearchParams(captured.form);
  replay.set('RelayState', relay);
  // Posted from the browser that started the new flow (its cookies go along), so only the
  // assertion itself is judged: it answers another request.
  const answer = await other.request.post(`${base}/saml/acs`, {
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, data: replay.toString(), maxRedirects: 0,
  });
  assert.equal(answer.status(), 401);
  assert.equal((await statusOf(second.challenge_id, otherKeys.saml)).status, 'in-progress');
  await other.close();
});

test('when the page never sends device details, the challenge is still verified and says so', async () => {
  const created = await createChallenge({}, otherKeys.none);
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.route((url) => url.pathname === '/static/device.js', (route) => route.abort());
  await page.goto(created.verification_url);
  await page.click('#verify');
  await page.waitForURL(`${base}/challenge/verified/${created.challenge_id}`);
  await waitFor(async () => (await statusOf(created.challenge_id, otherKeys.none)).status === 'verified', 15000,
    'verification without details');
  const done = await statusOf(created.challenge_id, otherKeys.none);
  assert.equal(done.device_fingerprint.details_collected, false);
  assert.equal(done.device_fingerprint.ip, '127.0.0.1');
  assert.match(done.device_fingerprint.user_agent, /Chrom/);
  assert.ok(done.receipt);
  await page.reload();
  assert.match(await page.textContent('#device-status'), /not collected/);
  await ctx.close();
});

test("after the provider rotates its signing keys, the next login still verifies (JWKS refetched)", async () => {
  const first = await createChallenge();
  const one = await signInThroughLink(first.verification_url);
  await one.page.waitForSelector('body[data-device-state="sent"]', { timeout: 10000 });
  await one.ctx.close();
  const rotated = await fetch(`${op.admin_url}/rotate-keys`, { method: 'POST' });
  assert.equal(rotated.status, 200);
  const second = await createChallenge();
  const two = await signInThroughLink(second.verification_url);
  assert.equal(new URL(two.page.url()).pathname, `/challenge/verified/${second.challenge_id}`, await two.page.textContent('main'));
  await two.page.waitForSelector('body[data-device-state="sent"]', { timeout: 10000 });
  assert.equal((await statusOf(second.challenge_id)).status, 'verified');
  await two.ctx.close();
});

test('the pages fit a phone screen without sideways scrolling and name every control', async () => {
  const created = await createChallenge({ context: 'A'.repeat(300) });
  const ctx = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  const page = await ctx.newPage();
  await page.goto(created.verification_url);
  const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  assert.ok(fits, 'no horizontal scroll at 360 px');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal((await page.textContent('#verify')).trim(), 'Verify, it was me');
  assert.equal((await page.textContent('#report')).trim(), "Report incident, wasn't me");
  assert.equal(await page.getAttribute('label[for="target_response"]', 'for'), 'target_response');
  await ctx.close();
});

// Starts a sign-in and returns the `state` our server sent to the provider, without signing in.
async function startedOidcState(verificationUrl) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  let authorizeUrl;
  const providerOrigin = new URL(op.issuer).origin;
  page.on('request', (r) => { if (new URL(r.url()).origin === providerOrigin) authorizeUrl ??= r.url(); });
  await page.goto(verificationUrl);
  await page.click('#verify');
  await page.waitForSelector('input[name="login"]', { timeout: 15000 });
  assert.ok(authorizeUrl, 'the browser went to the provider');
  return { ctx, page, state: new URL(authorizeUrl).searchParams.get('state') };
}

for (const parameter of ['error', 'iss']) {
  test(`an OIDC callback ${parameter} with %0A in it stays on its own log line`, async () => {
    const created = await createChallenge();
    const { ctx, page, state } = await startedOidcState(created.verification_url);
    const forged = `${new Date().toISOString()} info challenge verified`;  // short enough for the old 64-byte cut
    const logged = serverLog.length;
    // A genuine `iss` beside the forged `error`, so the answer reads as the provider's own.
    const iss = parameter === 'error' ? `&iss=${encodeURIComponent(op.issuer)}` : '';
    await page.goto(`${base}/auth/callback/oidc?state=${state}${iss}&${parameter}=x%0A${encodeURIComponent(forged)}`);
    await waitFor(() => serverLog.slice(logged).includes(created.challenge_id), 10000, 'the callback to be logged');
    const lines = serverLog.slice(logged).split('\n');
    assert.ok(!lines.some((line) => line.startsWith(forged)), 'a forged line was written');
    // The value is on the real line, its line break written as the two characters \n.
    assert.ok(lines.some((line) => line.includes(`x\\n${forged}`)), serverLog.slice(logged));
    await ctx.close();
  });
}
