// node --test idp/  (from tests/)
//
// Proves the OpenID Provider fixture (oidc_op.mjs) with a relying party written with plain fetch:
// discovery, authorization code + PKCE through its login page (cookies handled by hand), token
// exchange, ID token verification with jose against the JWKS, forced re-authentication, and each
// misbehaviour of the admin endpoint.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as jose from 'jose';

const OP_SCRIPT = fileURLToPath(new URL('./oidc_op.mjs', import.meta.url));
const CLIENT_ID = 'challenge-test-client';
const CLIENT_SECRET = 'secret with spaces+plus/slash%percent:colon'; // exercises Basic encoding
const REDIRECT_URI = 'http://127.0.0.1:9/auth/callback/oidc'; // never fetched: we stop at it
const READY_DEADLINE_MS = 15_000;
const HTTP_DEADLINE_MS = 5_000;
const EXIT_DEADLINE_MS = 5_000;
const TEST_TIMEOUT = { timeout: 30_000 };

// ---------------------------------------------------------------------------------------------
// Fixture process

function withDeadline(promise, ms, what) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

async function startOp(extraArgs = [], env = {}) {
  const child = spawn(process.execPath, [
    OP_SCRIPT,
    '--client-id', CLIENT_ID,
    '--client-secret', CLIENT_SECRET,
    '--redirect-uri', REDIRECT_URI,
    ...extraArgs,
  ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const op = { child, stdout: '', stderr: '' };
  op.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => { op.stderr += d; });
  child.stdout.setEncoding('utf8');
  const ready = new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      op.stdout += d;
      const nl = op.stdout.indexOf('\n');
      if (nl !== -1) resolve(op.stdout.slice(0, nl));
    });
    op.exited.then(({ code, signal }) => reject(
      new Error(`oidc_op exited (${code ?? signal}) before ready: ${op.stderr}`),
    ));
  });
  try {
    const line = await withDeadline(ready, READY_DEADLINE_MS, 'oidc_op ready line');
    Object.assign(op, JSON.parse(line));
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return op;
}

async function stopOp(op) {
  if (!op) return undefined;
  op.child.kill('SIGTERM');
  try {
    return await withDeadline(op.exited, EXIT_DEADLINE_MS, 'oidc_op exit after SIGTERM');
  } catch (err) {
    op.child.kill('SIGKILL');
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// A hand-made cookie jar and HTTP with deadlines

class CookieJar {
  #cookies = new Map(); // `${name}\0${path}` -> { name, value, path }

  store(setCookies, url) {
    for (const header of setCookies) {
      const [pair, ...attrs] = header.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = url.pathname.replace(/\/[^/]*$/, '') || '/';
      let expired = false;
      for (const attr of attrs) {
        const [k, v = ''] = attr.split('=');
        const key = k.toLowerCase();
        if (key === 'path') path = v || '/';
        else if (key === 'expires' && Date.parse(v) <= Date.now()) expired = true;
        else if (key === 'max-age' && Number(v) <= 0) expired = true;
      }
      const id = `${name}\0${path}`;
      if (expired || value === '') this.#cookies.delete(id);
      else this.#cookies.set(id, { name, value, path });
    }
  }

  header(url) {
    const matches = [...this.#cookies.values()].filter(({ path }) => url.pathname === path
      || url.pathname.startsWith(path.endsWith('/') ? path : `${path}/`));
    matches.sort((a, b) => b.path.length - a.path.length);
    return matches.map(({ name, value }) => `${name}=${value}`).join('; ');
  }
}

async function request(url, { jar, method = 'GET', headers = {}, body } = {}) {
  url = new URL(url);
  const h = { ...headers };
  const cookie = jar?.header(url);
  if (cookie) h.cookie = cookie;
  const res = await fetch(url, {
    method, headers: h, body, redirect: 'manual', signal: AbortSignal.timeout(HTTP_DEADLINE_MS),
  });
  jar?.store(res.headers.getSetCookie(), url);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, url };
}

async function getJson(url) {
  const res = await request(url);
  assert.equal(res.status, 200, `${url}: ${res.text}`);
  return JSON.parse(res.text);
}

async function adminPost(op, path, payload) {
  const res = await request(`${op.admin_url}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload ?? {}),
  });
  return { status: res.status, body: JSON.parse(res.text) };
}

// ---------------------------------------------------------------------------------------------
// The relying party

const formUrlEncode = (s) => encodeURIComponent(s).replace(/%20/g, '+');

function pkcePair() {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

// Runs the front channel: authorization request, the login page when shown, redirects, until the
// redirect to REDIRECT_URI. Returns { callback: URLSearchParams, loginPages, loginResponse? }.
async function authorize(op, { jar = new CookieJar(), params = {}, login = 'alice@example.com', password = 'password', cancel = false } = {}) {
  const discovery = await getJson(`${op.issuer}/.well-known/openid-configuration`);
  const url = new URL(discovery.authorization_endpoint);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  let res = await request(url, { jar });
  let loginPages = 0;
  for (let hop = 0; hop < 10; hop += 1) {
    if (res.status >= 300 && res.status < 400) {
      const location = new URL(res.headers.get('location'), res.url);
      if (location.href.startsWith(`${REDIRECT_URI}?`)) {
        return { callback: location.searchParams, loginPages, jar };
      }
      res = await request(location, { jar });
      continue;
    }
    if (res.status === 200 && res.text.includes('id="login-form"')) {
      loginPages += 1;
      assert.match(res.text, /<input[^>]*name="login"/);
      assert.match(res.text, /<input[^>]*name="password"/);
      assert.match(res.text, /<button[^>]*id="submit"/);
      const action = cancel
        ? res.text.match(/id="cancel" formaction="([^"]+)"/)[1]
        : res.text.match(/<form id="login-form" method="post" action="([^"]+)"/)[1];
      res = await request(new URL(action, res.url), {
        jar,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ login, password }).toString(),
      });
      if (res.status === 401) return { loginResponse: res, loginPages, jar };
      continue;
    }
    throw new Error(`unexpected ${res.status} at ${res.url}: ${res.text.slice(0, 500)}`);
  }
  throw new Error('too many redirects');
}

function authParams(overrides = {}) {
  const { verifier, challenge } = pkcePair();
  const params = {
    client_id: CLIENT_ID,
    response_type: 'code',
    scope: 'openid email',
    redirect_uri: REDIRECT_URI,
    state: crypto.randomBytes(16).toString('base64url'),
    nonce: crypto.randomBytes(16).toString('base64url'),
    code_challenge: challenge,
    code_challenge_method: 'S256',
    prompt: 'login',
    max_age: '0',
    ...overrides,
  };
  return { params, verifier };
}

async function exchange(op, code, verifier, { method = 'client_secret_basic' } = {}) {
  const discovery = await getJson(`${op.issuer}/.well-known/openid-configuration`);
  const form = new URLSearchParams({
    grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier,
  });
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (method === 'client_secret_basic') {
    headers.authorization = `Basic ${Buffer.from(`${formUrlEncode(CLIENT_ID)}:${formUrlEncode(CLIENT_SECRET)}`).toString('base64')}`;
  } else {
    form.set('client_id', CLIENT_ID);
    form.set('client_secret', CLIENT_SECRET);
  }
  const res = await request(discovery.token_endpoint, { method: 'POST', headers, body: form.toString() });
  return { status: res.status, body: JSON.parse(res.text) };
}

// Front channel + token exchange; returns the ID token and what was sent.
async function signIn(op, { overrides, login, method, jar } = {}) {
  const { params, verifier } = authParams(overrides);
  const startedAt = Math.floor(Date.now() / 1000);
  const front = await authorize(op, { params, login, jar });
  assert.ok(front.callback, 'expected a redirect to the callback');
  assert.equal(front.callback.get('error'), null, front.callback.get('error_description'));
  assert.equal(front.callback.get('state'), params.state);
  assert.equal(front.callback.get('iss'), op.issuer);
  const token = await exchange(op, front.callback.get('code'), verifier, { method });
  assert.equal(token.status, 200, JSON.stringify(token.body));
  assert.equal(typeof token.body.id_token, 'string');
  return { idToken: token.body.id_token, params, startedAt, loginPages: front.loginPages, jar: front.jar };
}

async function remoteJwks(op) {
  const discovery = await getJson(`${op.issuer}/.well-known/openid-configuration`);
  return getJson(discovery.jwks_uri);
}

async function verify(op, idToken, { jwks, ...options } = {}) {
  const keySet = jose.createLocalJWKSet(jwks ?? await remoteJwks(op));
  return jose.jwtVerify(idToken, keySet, {
    issuer: op.issuer, audience: CLIENT_ID, algorithms: ['RS256', 'ES256'], ...options,
  });
}

// ---------------------------------------------------------------------------------------------

describe('oidc_op fixture (RS256, claims in the ID token)', () => {
  let op;
  before(async () => { op = await startOp(['--id-token-claims']); });
  after(async () => {
    const exit = await stopOp(op);
    assert.deepEqual(exit, { code: 0, signal: null }, `exit after SIGTERM; stderr: ${op.stderr}`);
    assert.equal(op.stdout.split('\n').filter(Boolean).length, 1, `stdout: ${op.stdout}`);
  });

  test('ready line and discovery', TEST_TIMEOUT, async () => {
    assert.match(op.issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(op.admin_url, `${op.issuer}/__admin`);
    assert.deepEqual(Object.keys(JSON.parse(op.stdout.split('\n')[0])).sort(), ['admin_url', 'issuer']);
    const d = await getJson(`${op.issuer}/.well-known/openid-configuration`);
    assert.equal(d.issuer, op.issuer);
    for (const k of ['authorization_endpoint', 'token_endpoint', 'jwks_uri']) assert.ok(d[k].startsWith(`${op.issuer}/`), k);
    assert.deepEqual(d.code_challenge_methods_supported, ['S256']);
    assert.deepEqual(d.response_types_supported, ['code']);
    for (const a of ['RS256', 'ES256']) assert.ok(d.id_token_signing_alg_values_supported.includes(a), a);
    for (const m of ['client_secret_basic', 'client_secret_post']) assert.ok(d.token_endpoint_auth_methods_supported.includes(m), m);
    assert.ok(d.scopes_supported.includes('email'));
    const jwks = await remoteJwks(op);
    assert.deepEqual(jwks.keys.map((k) => k.alg).sort(), ['ES256', 'RS256']);
    for (const k of jwks.keys) {
      assert.ok(k.kid, 'kid');
      assert.equal(k.d, undefined, 'no private parts in the JWKS');
    }
  });

  test('code flow with PKCE, client_secret_basic: ID token verifies with the expected claims', TEST_TIMEOUT, async () => {
    await request(`${op.admin_url}/requests`, { method: 'DELETE' });
    await request(`${op.admin_url}/token-requests`, { method: 'DELETE' });
    const { idToken, params, startedAt, loginPages } = await signIn(op);
    assert.equal(loginPages, 1);
    const { payload, protectedHeader } = await verify(op, idToken);
    assert.equal(protectedHeader.alg, 'RS256');
    assert.equal(payload.iss, op.issuer);
    assert.equal(payload.aud, CLIENT_ID);
    assert.equal(payload.email, 'alice@example.com');
    assert.equal(payload.email_verified, true);
    assert.equal(payload.nonce, params.nonce);
    assert.equal(typeof payload.auth_time, 'number');
    assert.ok(payload.auth_time >= startedAt && payload.auth_time <= payload.iat, `auth_time ${payload.auth_time}`);
    assert.ok(payload.exp > payload.iat);

    const { requests } = await getJson(`${op.admin_url}/requests`);
    assert.equal(requests.length, 1);
    const [sent] = requests;
    assert.equal(sent.prompt, 'login');
    assert.equal(sent.max_age, '0');
    assert.equal(sent.code_challenge_method, 'S256');
    assert.equal(sent.code_challenge, params.code_challenge);
    assert.equal(sent.nonce, params.nonce);
    assert.equal(sent.state, params.state);
    assert.equal(sent.redirect_uri, REDIRECT_URI);

    const tokenRequests = (await getJson(`${op.admin_url}/token-requests`)).requests;
    assert.deepEqual(tokenRequests.map((r) => [r.grant_type, r.client_auth_method, r.code_verifier_present, r.status]),
      [['authorization_code', 'client_secret_basic', true, 200]]);
  });

  test('client_secret_post is accepted too, and bob gets his own email', TEST_TIMEOUT, async () => {
    await request(`${op.admin_url}/token-requests`, { method: 'DELETE' });
    const { idToken } = await signIn(op, { login: 'BOB@example.com', method: 'client_secret_post' });
    const { payload } = await verify(op, idToken);
    assert.equal(payload.email, 'bob@example.com');
    assert.equal(payload.sub, 'bob@example.com');
    const { requests } = await getJson(`${op.admin_url}/token-requests`);
    assert.equal(requests.at(-1).client_auth_method, 'client_secret_post');
  });

  test('prompt=login and max_age=0 each force a new login on an existing session; without them it is silent', TEST_TIMEOUT, async () => {
    const first = await signIn(op);
    const { jar } = first;
    const firstAuthTime = (await verify(op, first.idToken)).payload.auth_time;

    const silent = await signIn(op, { jar, overrides: { prompt: undefined, max_age: undefined } });
    assert.equal(silent.loginPages, 0, 'an existing session and no prompt/max_age: no login page');
    assert.equal((await verify(op, silent.idToken)).payload.auth_time, firstAuthTime);

    for (const overrides of [{ max_age: undefined }, { prompt: undefined }, {}]) {
      const again = await signIn(op, { jar, overrides });
      assert.equal(again.loginPages, 1, `login page for ${JSON.stringify(overrides)}`);
      const { payload } = await verify(op, again.idToken);
      assert.ok(payload.auth_time >= again.startedAt, 'auth_time from the new login');
    }
  });

  test('PKCE is required and checked', TEST_TIMEOUT, async () => {
    for (const overrides of [
      { code_challenge: undefined, code_challenge_method: undefined },
      { code_challenge_method: 'plain' },
    ]) {
      const { params } = authParams(overrides);
      const front = await authorize(op, { params });
      assert.equal(front.loginPages, 0);
      assert.equal(front.callback.get('error'), 'invalid_request', JSON.stringify(overrides));
      assert.equal(front.callback.get('state'), params.state);
    }
    const { params } = authParams();
    const front = await authorize(op, { params });
    const token = await exchange(op, front.callback.get('code'), pkcePair().verifier);
    assert.equal(token.status, 400);
    assert.equal(token.body.error, 'invalid_grant');
  });

  test('wrong client secret is rejected at the token endpoint', TEST_TIMEOUT, async () => {
    const { params, verifier } = authParams();
    const front = await authorize(op, { params });
    const res = await request(`${op.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code', code: front.callback.get('code'), redirect_uri: REDIRECT_URI,
        code_verifier: verifier, client_id: CLIENT_ID, client_secret: 'wrong',
      }).toString(),
    });
    assert.equal(res.status, 401);
    assert.equal(JSON.parse(res.text).error, 'invalid_client');
  });

  test('login page: a wrong password shows the form again with an error; cancel gives access_denied', TEST_TIMEOUT, async () => {
    const bad = await authorize(op, { params: authParams().params, password: 'nope' });
    assert.equal(bad.loginResponse.status, 401);
    assert.match(bad.loginResponse.text, /id="error"/);
    assert.match(bad.loginResponse.text, /id="login-form"/);

    const { params } = authParams();
    const cancelled = await authorize(op, { params, cancel: true });
    assert.equal(cancelled.callback.get('error'), 'access_denied');
    assert.equal(cancelled.callback.get('state'), params.state);
  });

  describe('next-id-token misbehaviours', () => {
    async function defective(mode) {
      const set = await adminPost(op, '/next-id-token', { mode });
      assert.equal(set.status, 200);
      assert.equal((await getJson(op.admin_url)).next_id_token_mode, mode);
      const result = await signIn(op);
      assert.equal((await getJson(op.admin_url)).next_id_token_mode, null, 'the mode applies once');
      return result;
    }

    test('tamper_signature: the signature no longer verifies, claims untouched', TEST_TIMEOUT, async () => {
      const { idToken, params } = await defective('tamper_signature');
      await assert.rejects(verify(op, idToken), jose.errors.JWSSignatureVerificationFailed);
      assert.equal(jose.decodeJwt(idToken).nonce, params.nonce);
      // Only the next one: the following ID token is fine.
      const next = await signIn(op);
      await verify(op, next.idToken);
    });

    test('wrong_nonce: the signature verifies but the nonce differs', TEST_TIMEOUT, async () => {
      const { idToken, params } = await defective('wrong_nonce');
      const { payload } = await verify(op, idToken);
      assert.equal(typeof payload.nonce, 'string');
      assert.notEqual(payload.nonce, params.nonce);
    });

    test('stale_auth_time: verifies, auth_time an hour old', TEST_TIMEOUT, async () => {
      const { idToken, params, startedAt } = await defective('stale_auth_time');
      const { payload } = await verify(op, idToken);
      assert.ok(payload.auth_time <= startedAt - 3000, `auth_time ${payload.auth_time}`);
      assert.equal(payload.nonce, params.nonce);
    });

    test('wrong_audience: aud check fails, signature verifies', TEST_TIMEOUT, async () => {
      const { idToken, params } = await defective('wrong_audience');
      await assert.rejects(verify(op, idToken), (err) => err instanceof jose.errors.JWTClaimValidationFailed && err.claim === 'aud');
      const { payload } = await verify(op, idToken, { audience: undefined });
      assert.notEqual(payload.aud, CLIENT_ID);
      assert.equal(payload.azp, undefined);
      assert.equal(payload.nonce, params.nonce);
    });

    test('wrong_issuer: iss check fails, signature verifies', TEST_TIMEOUT, async () => {
      const { idToken, params } = await defective('wrong_issuer');
      await assert.rejects(verify(op, idToken), (err) => err instanceof jose.errors.JWTClaimValidationFailed && err.claim === 'iss');
      const { payload } = await verify(op, idToken, { issuer: undefined });
      assert.notEqual(payload.iss, op.issuer);
      assert.equal(payload.nonce, params.nonce);
    });

    test('expired: exp check fails, signature verifies', TEST_TIMEOUT, async () => {
      const { idToken, params, startedAt } = await defective('expired');
      await assert.rejects(verify(op, idToken), jose.errors.JWTExpired);
      const { payload } = await verify(op, idToken, { currentDate: new Date((startedAt - 600) * 1000) });
      assert.ok(payload.exp < startedAt);
      assert.equal(payload.nonce, params.nonce);
    });

    test('unknown_kid: no key in the JWKS for the kid, even freshly fetched', TEST_TIMEOUT, async () => {
      const { idToken, params } = await defective('unknown_kid');
      const jwks = await remoteJwks(op);
      const { kid } = jose.decodeProtectedHeader(idToken);
      assert.ok(kid && !jwks.keys.some((k) => k.kid === kid), `kid ${kid}`);
      await assert.rejects(verify(op, idToken, { jwks }), jose.errors.JWKSNoMatchingKey);
      assert.equal(jose.decodeJwt(idToken).nonce, params.nonce);
    });

    test('unknown modes are refused', TEST_TIMEOUT, async () => {
      const res = await adminPost(op, '/next-id-token', { mode: 'nonsense' });
      assert.equal(res.status, 400);
      assert.equal((await getJson(op.admin_url)).next_id_token_mode, null);
      assert.equal((await adminPost(op, '/nope', {})).status, 404);
    });
  });

  test('rotate-keys: new kids; a relying party with the old JWKS cached must refetch', TEST_TIMEOUT, async () => {
    const before = await signIn(op);
    const cached = await remoteJwks(op);
    await verify(op, before.idToken, { jwks: cached });

    const rotated = await adminPost(op, '/rotate-keys');
    assert.equal(rotated.status, 200);
    const fresh = await remoteJwks(op);
    const oldKids = cached.keys.map((k) => k.kid);
    assert.deepEqual(fresh.keys.map((k) => k.kid).sort(), [...rotated.body.kids].sort());
    for (const kid of rotated.body.kids) assert.ok(!oldKids.includes(kid), `kid ${kid} is new`);

    const after = await signIn(op, { jar: before.jar });
    assert.ok(!oldKids.includes(jose.decodeProtectedHeader(after.idToken).kid));
    await assert.rejects(verify(op, after.idToken, { jwks: cached }), jose.errors.JWKSNoMatchingKey);
    const { payload } = await verify(op, after.idToken, { jwks: fresh });
    assert.equal(payload.email, 'alice@example.com');

    // The session survived the rotation: no login page without prompt/max_age.
    const silent = await signIn(op, { jar: before.jar, overrides: { prompt: undefined, max_age: undefined } });
    assert.equal(silent.loginPages, 0);
  });
});

describe('oidc_op fixture (ES256, users file via env)', () => {
  let op;
  let dir;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oidc-op-test-'));
    const users = path.join(dir, 'users.json');
    fs.writeFileSync(users, JSON.stringify([
      { email: 'alice@example.com' },
      { sub: 'carol-1', email: 'carol@example.com', password: 'hunter2', email_verified: false },
    ]));
    op = await startOp(['--alg', 'ES256'], { OIDC_OP_USERS: users, OIDC_OP_ID_TOKEN_CLAIMS: '1' });
  });
  after(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    const exit = await stopOp(op);
    assert.deepEqual(exit, { code: 0, signal: null }, `exit after SIGTERM; stderr: ${op.stderr}`);
  });

  test('users from the file: carol by sub with her password; bob is gone', TEST_TIMEOUT, async () => {
    const { params, verifier } = authParams();
    const front = await authorize(op, { params, login: 'carol-1', password: 'hunter2' });
    const token = await exchange(op, front.callback.get('code'), verifier);
    const { payload } = await verify(op, token.body.id_token);
    assert.deepEqual([payload.sub, payload.email, payload.email_verified], ['carol-1', 'carol@example.com', false]);
    const bob = await authorize(op, { params: authParams().params, login: 'bob@example.com' });
    assert.equal(bob.loginResponse.status, 401);
  });

  test('ID token signed with ES256 and verified against the JWKS', TEST_TIMEOUT, async () => {
    const { idToken, params } = await signIn(op);
    const { payload, protectedHeader } = await verify(op, idToken);
    assert.equal(protectedHeader.alg, 'ES256');
    assert.equal(payload.nonce, params.nonce);
    assert.equal(payload.email, 'alice@example.com');
  });

  test('re-signed defects keep ES256', TEST_TIMEOUT, async () => {
    await adminPost(op, '/next-id-token', { mode: 'wrong_nonce' });
    const { idToken, params } = await signIn(op);
    const { payload, protectedHeader } = await verify(op, idToken);
    assert.equal(protectedHeader.alg, 'ES256');
    assert.notEqual(payload.nonce, params.nonce);

    await adminPost(op, '/next-id-token', { mode: 'tamper_signature' });
    const tampered = await signIn(op);
    await assert.rejects(verify(op, tampered.idToken), jose.errors.JWSSignatureVerificationFailed);
  });
});

describe('oidc_op fixture at its defaults (spec-conformant ID token claims)', () => {
  let op;
  before(async () => { op = await startOp(); });
  after(async () => {
    const exit = await stopOp(op);
    assert.deepEqual(exit, { code: 0, signal: null }, `exit after SIGTERM; stderr: ${op.stderr}`);
  });

  test('the ID token names only the subject; UserInfo says the email and whether it is verified', TEST_TIMEOUT, async () => {
    const { params, verifier } = authParams();
    const front = await authorize(op, { params, login: 'unverified@example.com' });
    const token = await exchange(op, front.callback.get('code'), verifier);
    assert.equal(token.status, 200, JSON.stringify(token.body));
    const { payload } = await verify(op, token.body.id_token);
    assert.equal(payload.sub, 'unverified@example.com');
    assert.equal(payload.email, undefined, 'no email in a conformant ID token issued with an access token');
    assert.equal(token.body.token_type.toLowerCase(), 'bearer');
    const discovery = await getJson(`${op.issuer}/.well-known/openid-configuration`);
    assert.equal(discovery.authorization_response_iss_parameter_supported, true);
    const info = await request(discovery.userinfo_endpoint, { headers: { authorization: `Bearer ${token.body.access_token}` } });
    assert.equal(info.status, 200, info.text);
    assert.deepEqual(JSON.parse(info.text), { sub: 'unverified@example.com', email: 'unverified@example.com', email_verified: false });
  });
});

test('bad command line: exits non-zero without a ready line', TEST_TIMEOUT, async () => {
  const child = spawn(process.execPath, [OP_SCRIPT, '--client-id', 'x'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d) => { stdout += d; });
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const code = await withDeadline(exited, EXIT_DEADLINE_MS, 'oidc_op exit on bad arguments').catch((err) => {
    child.kill('SIGKILL');
    throw err;
  });
  assert.equal(code, 2);
  assert.equal(stdout, '');
});
