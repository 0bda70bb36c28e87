#!/usr/bin/env node
// A real OpenID Provider (npm oidc-provider 9.x) for the browser and integration tests of the
// Challenge service's OIDC step-up. Authorization code flow only, PKCE (S256) required, one
// confidential client (client_secret_basic and client_secret_post are both accepted), its own
// login page, consent granted automatically, and an admin endpoint to make the next ID token
// defective for negative tests.
//
//   node tests/idp/oidc_op.mjs --client-id X --client-secret Y --redirect-uri URI
//        [--alg RS256|ES256] [--users users.json] [--host 127.0.0.1] [--port 0] [--id-token-claims]
//
// By default the provider runs at oidc-provider's spec-conformant defaults: an ID token issued
// with an access token carries only `sub` (and the protocol claims); the `email` that the email
// scope asks for comes from the UserInfo endpoint (OIDC Core 5.4). --id-token-claims puts the
// scope's claims in the ID token too (conformIdTokenClaims: false), as many real IdPs do.
//
// Each option can also come from the environment: OIDC_OP_CLIENT_ID, OIDC_OP_CLIENT_SECRET,
// OIDC_OP_REDIRECT_URI (several: separated by spaces), OIDC_OP_ALG, OIDC_OP_USERS, OIDC_OP_HOST,
// OIDC_OP_PORT, OIDC_OP_ID_TOKEN_CLAIMS=1; a command-line option wins. --redirect-uri may be given more than once.
//
// When listening it prints exactly one line on stdout, then nothing else there (logs go to stderr):
//   {"issuer":"http://127.0.0.1:PORT","admin_url":"http://127.0.0.1:PORT/__admin"}
// SIGTERM or SIGINT closes it and exits 0.
//
// Users (--users FILE: a JSON array, or {"users": [...]}) are objects
//   {"email": "...", "password": "...", "sub": "...", "email_verified": true, "name": "..."}
// where only email is required (password defaults to "password", sub to the email, email_verified
// to true). Default: alice@example.com, bob@example.com, and unverified@example.com whose
// email_verified is false, password "password". The login form
// accepts the email (case-insensitive) or the sub.
//
// Login page (GET /interaction/:uid): <form id="login-form"> with <input name="login">,
// <input name="password">, <button id="submit">; a wrong password shows the form again with
// <p id="error">. <button id="cancel"> ends the request with error=access_denied.
//
// Admin endpoints (loopback peers only, JSON):
//   GET  /__admin                 state: issuer, client, alg, signing kids, pending mode
//   POST /__admin/next-id-token   {"mode": M} alters only the next ID token the token endpoint
//                                 returns; M in MODES below, or null to clear
//   POST /__admin/rotate-keys     new RS256 and ES256 keys (new kids) replace the old ones in
//                                 the JWKS and for signing; returns {"kids": [...]}
//   GET  /__admin/requests        {"requests": [{...query}]} the last authorization requests'
//                                 parameters, oldest first (DELETE clears)
//   GET  /__admin/token-requests  {"requests": [{grant_type, client_auth_method, ...}]} the last
//                                 token requests (DELETE clears)

import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

import Provider from 'oidc-provider';
import { CompactSign, decodeProtectedHeader } from 'jose';

export const MODES = Object.freeze([
  'tamper_signature', // bits flipped in the signature: the signature check fails
  'wrong_nonce', // nonce replaced by another value, re-signed
  'stale_auth_time', // auth_time one hour in the past, re-signed
  'wrong_audience', // aud another client, re-signed (azp dropped)
  'wrong_issuer', // iss another issuer, re-signed
  'expired', // exp 5 minutes in the past (iat, auth_time untouched), re-signed
  'unknown_kid', // re-signed with a key that is not in the JWKS, under a kid not in it
]);

const HISTORY = 50;

// ---------------------------------------------------------------------------------------------
// Options

function parseOptions(argv, env) {
  const { values } = parseArgs({
    args: argv,
    options: {
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      alg: { type: 'string' },
      users: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'id-token-claims': { type: 'boolean' },
    },
    strict: true,
  });
  const opts = {
    clientId: values['client-id'] ?? env.OIDC_OP_CLIENT_ID,
    clientSecret: values['client-secret'] ?? env.OIDC_OP_CLIENT_SECRET,
    redirectUris: values['redirect-uri']
      ?? (env.OIDC_OP_REDIRECT_URI ? env.OIDC_OP_REDIRECT_URI.split(/\s+/).filter(Boolean) : undefined),
    alg: values.alg ?? env.OIDC_OP_ALG ?? 'RS256',
    users: values.users ?? env.OIDC_OP_USERS,
    host: values.host ?? env.OIDC_OP_HOST ?? '127.0.0.1',
    port: Number(values.port ?? env.OIDC_OP_PORT ?? 0),
    idTokenClaims: values['id-token-claims'] ?? env.OIDC_OP_ID_TOKEN_CLAIMS === '1',
  };
  const missing = [];
  if (!opts.clientId) missing.push('--client-id');
  if (!opts.clientSecret) missing.push('--client-secret');
  if (!opts.redirectUris?.length) missing.push('--redirect-uri');
  if (missing.length) throw new Error(`missing ${missing.join(', ')}`);
  if (!['RS256', 'ES256'].includes(opts.alg)) throw new Error(`--alg must be RS256 or ES256, not ${opts.alg}`);
  for (const uri of opts.redirectUris) new URL(uri); // throws on a bad URI
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new Error('bad --port');
  return opts;
}

function loadUsers(file) {
  let list = [
    { email: 'alice@example.com', name: 'Alice' },
    { email: 'bob@example.com', name: 'Bob' },
    { email: 'unverified@example.com', name: 'Una', email_verified: false },
  ];
  if (file) {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
    list = Array.isArray(parsed) ? parsed : parsed.users;
    if (!Array.isArray(list)) throw new Error(`${file}: expected an array of users or {"users": [...]}`);
  }
  const bySub = new Map();
  for (const u of list) {
    if (!u || typeof u.email !== 'string' || !u.email) throw new Error('every user needs an email');
    const user = {
      sub: String(u.sub ?? u.email),
      email: u.email,
      email_verified: u.email_verified ?? true,
      password: String(u.password ?? 'password'),
      name: u.name,
    };
    if (bySub.has(user.sub)) throw new Error(`duplicate user ${user.sub}`);
    bySub.set(user.sub, user);
  }
  return bySub;
}

// ---------------------------------------------------------------------------------------------
// Keys

function newKid(prefix) {
  return `${prefix}-${crypto.randomBytes(6).toString('hex')}`;
}

function generateKey(alg) {
  const [type, opts, prefix] = alg === 'RS256'
    ? ['rsa', { modulusLength: 2048 }, 'rs']
    : ['ec', { namedCurve: 'P-256' }, 'es'];
  const { privateKey } = crypto.generateKeyPairSync(type, opts);
  const kid = newKid(prefix);
  return { kid, alg, privateKey, jwk: { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' } };
}

function generateSigningKeys() {
  return [generateKey('RS256'), generateKey('ES256')];
}

// ---------------------------------------------------------------------------------------------
// ID token post-processing

const b64u = {
  decode: (s) => Buffer.from(s, 'base64url'),
  encode: (b) => Buffer.from(b).toString('base64url'),
};

async function resign(header, payload, key) {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(header)
    .sign(key);
}

// Returns the altered compact JWS. `keyFor(kid)` gives the private KeyObject the token was
// signed with; `throwaway(alg)` a key that is not in the JWKS.
export async function alterIdToken(jwt, mode, { keyFor, throwaway, now = Math.floor(Date.now() / 1000) }) {
  const [h, p, s] = jwt.split('.');
  if (mode === 'tamper_signature') {
    const sig = b64u.decode(s);
    sig[Math.floor(sig.length / 2)] ^= 0x5a;
    sig[0] ^= 0x01;
    return `${h}.${p}.${b64u.encode(sig)}`;
  }
  const header = decodeProtectedHeader(jwt);
  const payload = JSON.parse(b64u.decode(p).toString('utf8'));
  let key = keyFor(header.kid);
  switch (mode) {
    case 'wrong_nonce':
      payload.nonce = `wrong-${crypto.randomBytes(12).toString('base64url')}`;
      break;
    case 'stale_auth_time':
      payload.auth_time = now - 3600;
      break;
    case 'wrong_audience':
      payload.aud = `not-${Array.isArray(payload.aud) ? payload.aud[0] : payload.aud}`;
      delete payload.azp;
      break;
    case 'wrong_issuer':
      payload.iss = `${payload.iss}/not-this-issuer`;
      break;
    case 'expired':
      payload.exp = now - 300;
      break;
    case 'unknown_kid': {
      const k = throwaway(header.alg);
      key = k.privateKey;
      header.kid = k.kid;
      break;
    }
    default:
      throw new Error(`unknown mode ${mode}`);
  }
  if (!key) throw new Error(`no private key for kid ${header.kid}`);
  return resign(header, payload, key);
}

// ---------------------------------------------------------------------------------------------
// HTML

const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
}[c]));

function loginPage({ uid, clientId, loginHint, error, reasons }) {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Test IdP: sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<h1>Test IdP: sign in</h1>
<p>Client <code id="client-id">${esc(clientId)}</code> asks you to sign in${reasons?.length ? ` (<span id="reasons">${esc(reasons.join(' '))}</span>)` : ''}.</p>
${error ? `<p id="error" role="alert">${esc(error)}</p>` : ''}
<form id="login-form" method="post" action="/interaction/${esc(uid)}/login" autocomplete="off">
  <label>Email <input type="text" name="login" id="login" value="${esc(loginHint)}" autofocus></label><br>
  <label>Password <input type="password" name="password" id="password"></label><br>
  <button type="submit" id="submit">Sign in</button>
  <button type="submit" id="cancel" formaction="/interaction/${esc(uid)}/abort">Cancel</button>
</form>
</body>
</html>
`;
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers

function readBody(req, limit = 64 * 1024) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res, status, body, type = 'application/json') {
  const text = type === 'application/json' ? `${JSON.stringify(body)}\n` : body;
  res.writeHead(status, {
    'content-type': `${type}; charset=utf-8`,
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function isLoopback(address) {
  return address === '::1' || /^(::ffff:)?127\./.test(address ?? '');
}

function pushBounded(list, item) {
  list.push(item);
  if (list.length > HISTORY) list.splice(0, list.length - HISTORY);
}

// ---------------------------------------------------------------------------------------------
// The fixture

export async function startOp(opts) {
  const users = loadUsers(opts.users);
  const findUser = (login) => {
    const l = String(login ?? '').trim();
    if (users.has(l)) return users.get(l);
    for (const u of users.values()) if (u.email.toLowerCase() === l.toLowerCase()) return u;
    return undefined;
  };

  const state = {
    keys: generateSigningKeys(),
    retiredKeys: new Map(), // kid -> KeyObject, for ID tokens issued just before a rotation
    throwawayKeys: new Map(), // alg -> key not in the JWKS
    nextIdTokenMode: null,
    authorizationRequests: [],
    tokenRequests: [],
    provider: null,
    handler: null,
  };
  const cookieKeys = [crypto.randomBytes(32).toString('base64url')];

  const server = http.createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address();
  const hostForUrl = (opts.host ?? '127.0.0.1').includes(':') ? `[${opts.host}]` : (opts.host ?? '127.0.0.1');
  const issuer = `http://${hostForUrl}:${port}`;

  function keyFor(kid) {
    return state.keys.find((k) => k.kid === kid)?.privateKey ?? state.retiredKeys.get(kid);
  }
  function throwaway(alg) {
    if (!state.throwawayKeys.has(alg)) {
      const k = generateKey(alg);
      k.kid = newKid('unknown');
      state.throwawayKeys.set(alg, k);
    }
    return state.throwawayKeys.get(alg);
  }

  function buildProvider() {
    const configuration = {
      clients: [{
        client_id: opts.clientId,
        client_secret: opts.clientSecret,
        redirect_uris: opts.redirectUris,
        response_types: ['code'],
        grant_types: ['authorization_code'],
        // Both client_secret_basic and client_secret_post are accepted whatever this says.
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: opts.alg,
        require_auth_time: true,
        application_type: 'web',
      }],
      jwks: { keys: state.keys.map((k) => k.jwk) },
      cookies: { keys: cookieKeys },
      claims: {
        openid: ['sub'],
        email: ['email', 'email_verified'],
        profile: ['name'],
      },
      scopes: ['openid', 'email', 'profile'],
      // With --id-token-claims the scope-requested claims (email) go in the ID token even when an
      // access token is issued too; by default (as the spec says) only in the UserInfo response.
      conformIdTokenClaims: !opts.idTokenClaims,
      pkce: { required: () => true },
      responseTypes: ['code'],
      features: {
        devInteractions: { enabled: false },
        rpInitiatedLogout: { enabled: false },
        userinfo: { enabled: true },
        resourceIndicators: { enabled: false },
        pushedAuthorizationRequests: { enabled: false },
      },
      interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
      ttl: {
        AccessToken: 600,
        AuthorizationCode: 60,
        IdToken: 600,
        Interaction: 600,
        Session: 3600,
        Grant: 3600,
      },
      async findAccount(ctx, sub) {
        const user = users.get(sub);
        if (!user) return undefined;
        return {
          accountId: user.sub,
          async claims() {
            return {
              sub: user.sub,
              email: user.email,
              email_verified: user.email_verified,
              ...(user.name === undefined ? {} : { name: user.name }),
            };
          },
        };
      },
      // Consent is granted automatically: every authorization request is given a grant for the
      // OpenID scopes and claims it asks for, so the consent prompt never shows.
      async loadExistingGrant(ctx) {
        const { oidc } = ctx;
        const accountId = oidc.session.accountId;
        const clientId = oidc.client.clientId;
        const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(clientId);
        let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
        if (!grant || grant.accountId !== accountId || grant.clientId !== clientId) {
          grant = new oidc.provider.Grant({ accountId, clientId });
        }
        const scopes = [...oidc.requestParamOIDCScopes].join(' ');
        if (scopes) grant.addOIDCScope(scopes);
        const claims = [...oidc.requestParamClaims];
        if (claims.length) grant.addOIDCClaims(claims);
        await grant.save();
        return grant;
      },
    };

    const provider = new Provider(issuer, configuration);
    provider.on('server_error', (ctx, err) => console.error('oidc-provider server_error:', err));

    provider.use(async (ctx, next) => {
      await next();
      const route = ctx.oidc?.route;
      if (route === 'authorization') {
        const params = ctx.method === 'POST' ? { ...(ctx.oidc.body ?? {}) } : { ...ctx.query };
        pushBounded(state.authorizationRequests, params);
      } else if (route === 'token') {
        const body = ctx.oidc.body ?? {};
        pushBounded(state.tokenRequests, {
          grant_type: body.grant_type,
          client_auth_method: ctx.get('authorization') ? 'client_secret_basic'
            : (body.client_secret ? 'client_secret_post' : 'none'),
          code_verifier_present: typeof body.code_verifier === 'string',
          redirect_uri: body.redirect_uri,
          status: ctx.status,
        });
        if (ctx.status === 200 && ctx.body && typeof ctx.body.id_token === 'string' && state.nextIdTokenMode) {
          const mode = state.nextIdTokenMode;
          state.nextIdTokenMode = null;
          ctx.body = { ...ctx.body, id_token: await alterIdToken(ctx.body.id_token, mode, { keyFor, throwaway }) };
          console.error(`oidc_op: altered the ID token (${mode})`);
        }
      }
    });
    return provider;
  }

  state.provider = buildProvider();
  state.handler = state.provider.callback();

  // --- interaction (login page) ---
  async function interaction(req, res, url) {
    const provider = state.provider;
    const m = url.pathname.match(/^\/interaction\/([^/]+)(?:\/(login|abort))?$/);
    if (!m) return send(res, 404, 'not found\n', 'text/plain');
    const [, uid, action] = m;
    let details;
    try {
      details = await provider.interactionDetails(req, res);
    } catch (err) {
      return send(res, 400, `<!DOCTYPE html><p id="error">${esc(err.message)}</p>\n`, 'text/html');
    }
    if (details.uid !== uid) return send(res, 400, '<!DOCTYPE html><p id="error">interaction mismatch</p>\n', 'text/html');
    const { prompt, params } = details;

    if (prompt.name === 'consent') {
      // Not reached with loadExistingGrant above; grant anyway rather than show a page.
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
      if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
      if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
      const grantId = await grant.save();
      return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    }
    if (prompt.name !== 'login') return send(res, 400, `<!DOCTYPE html><p id="error">unsupported prompt ${esc(prompt.name)}</p>\n`, 'text/html');

    const page = (error, status = 200) => send(res, status, loginPage({
      uid, clientId: params.client_id, loginHint: params.login_hint, error, reasons: prompt.reasons,
    }), 'text/html');

    if (req.method === 'GET' && !action) return page();
    if (req.method !== 'POST' || !action) return send(res, 405, 'method not allowed\n', 'text/plain');

    const form = new URLSearchParams(await readBody(req));
    if (action === 'abort') {
      return provider.interactionFinished(req, res, {
        error: 'access_denied', error_description: 'End-User aborted interaction',
      }, { mergeWithLastSubmission: false });
    }
    const user = findUser(form.get('login'));
    if (!user || form.get('password') !== user.password) return page('Invalid email or password.', 401);
    return provider.interactionFinished(req, res, {
      login: { accountId: user.sub, amr: ['pwd'], remember: true },
    }, { mergeWithLastSubmission: false });
  }

  // --- admin ---
  async function admin(req, res, url) {
    if (!isLoopback(req.socket.remoteAddress)) return send(res, 403, { error: 'loopback only' });
    const route = `${req.method} ${url.pathname.replace(/\/+$/, '') || '/'}`;
    let body;
    if (req.method === 'POST') {
      const text = await readBody(req);
      try {
        body = text ? JSON.parse(text) : {};
      } catch {
        return send(res, 400, { error: 'body must be JSON' });
      }
    }
    switch (route) {
      case 'GET /__admin':
        return send(res, 200, {
          issuer,
          client_id: opts.clientId,
          redirect_uris: opts.redirectUris,
          alg: opts.alg,
          kids: state.keys.map((k) => k.kid),
          next_id_token_mode: state.nextIdTokenMode,
          modes: MODES,
        });
      case 'POST /__admin/next-id-token': {
        const mode = body?.mode ?? null;
        if (mode !== null && !MODES.includes(mode)) {
          return send(res, 400, { error: `mode must be one of ${MODES.join(', ')} or null` });
        }
        state.nextIdTokenMode = mode;
        return send(res, 200, { next_id_token_mode: mode });
      }
      case 'POST /__admin/rotate-keys': {
        for (const k of state.keys) state.retiredKeys.set(k.kid, k.privateKey);
        state.keys = generateSigningKeys();
        // Sessions, grants and interactions live in the (module-wide) memory adapter and the
        // cookie keys are kept, so swapping the Provider instance keeps users signed in.
        state.provider = buildProvider();
        state.handler = state.provider.callback();
        return send(res, 200, { kids: state.keys.map((k) => k.kid) });
      }
      case 'GET /__admin/requests':
        return send(res, 200, { requests: state.authorizationRequests });
      case 'DELETE /__admin/requests':
        state.authorizationRequests.length = 0;
        return send(res, 200, { requests: [] });
      case 'GET /__admin/token-requests':
        return send(res, 200, { requests: state.tokenRequests });
      case 'DELETE /__admin/token-requests':
        state.tokenRequests.length = 0;
        return send(res, 200, { requests: [] });
      default:
        return send(res, 404, { error: `no admin route ${route}` });
    }
  }

  server.on('request', (req, res) => {
    const url = new URL(req.url, issuer);
    let handler;
    if (url.pathname === '/__admin' || url.pathname.startsWith('/__admin/')) handler = admin;
    else if (url.pathname.startsWith('/interaction/')) handler = interaction;
    if (!handler) {
      state.handler(req, res);
      return;
    }
    handler(req, res, url).catch((err) => {
      console.error('oidc_op:', err);
      if (!res.headersSent) send(res, 500, { error: err.message });
      else res.destroy();
    });
  });

  return {
    issuer,
    adminUrl: `${issuer}/__admin`,
    server,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

// ---------------------------------------------------------------------------------------------

const isMain = process.argv[1] && import.meta.url === pathToFileURL(fs.realpathSync(process.argv[1])).href;
if (isMain) {
  let op;
  try {
    op = await startOp(parseOptions(process.argv.slice(2), process.env));
  } catch (err) {
    console.error(`oidc_op: ${err.message}`);
    process.exit(2);
  }
  const stop = async (signal) => {
    console.error(`oidc_op: ${signal}, closing`);
    await op.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  process.stdout.write(`${JSON.stringify({ issuer: op.issuer, admin_url: op.adminUrl })}\n`);
}
