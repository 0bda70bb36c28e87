// A fake Slack Web API for the tests that run the real binary: a node http server on
// 127.0.0.1:<ephemeral> that records every call and answers the methods the service uses with
// the bodies Slack sends, following a per-method script (ok:false, 429 with Retry-After, a slow
// answer, a closed connection). It also takes posts to response URLs at /response_url/<id>.
// It mirrors tests/support/fake_slack.cpp (the C++ tests' fake), so both suites see one Slack.
//
//   const slack = await startFakeSlack({ users: [{ id: 'U0TGT', name: 'tom', email: 'tom@example.com' }] });
//   env CHALLENGE_SLACK_API_BASE_URL = slack.baseUrl, CHALLENGE_SLACK_RESPONSE_URL_PREFIX = slack.responseUrlPrefix
//   slack.script('chat.postMessage', [behaviour.rateLimited(1)]);
//   const [card] = await slack.waitForCalls((c) => c.method === 'chat.postMessage', 1, 10000, 'the card');
//   await slack.close();
import http from 'node:http';
import { EventEmitter } from 'node:events';

// What the fake does with one call; `delayMs` waits first (close() cuts the wait and the connection).
export const behaviour = Object.freeze({
  // The canned success for the method, with `fields` merged over it.
  answer: (fields = {}) => ({ kind: 'answer', fields }),
  // HTTP 200 {"ok": false, "error": code, ...fields}.
  slackError: (code, fields = {}) => ({ kind: 'slack_error', error: code, fields }),
  // missing_scope with `needed` and `provided`, as Slack sends it.
  missingScope: (needed, provided) => ({ kind: 'slack_error', error: 'missing_scope', fields: { needed, provided } }),
  // HTTP 429, Retry-After: seconds, {"ok": false, "error": "ratelimited"}.
  rateLimited: (seconds) => ({ kind: 'rate_limited', retryAfter: seconds }),
  // `status` with `body` as it is (text/plain).
  httpStatus: (status, body = '') => ({ kind: 'http_status', status, body }),
  // The canned answer after `ms`.
  slow: (ms) => ({ kind: 'answer', fields: {}, delayMs: ms }),
  // Reads the request, then destroys the connection without answering.
  closeConnection: () => ({ kind: 'close_connection' }),
  // Any of the above after `ms`.
  after: (b, ms) => ({ ...b, delayMs: ms }),
});

// Slack's JSON-capable methods among those the fake knows; the rest read form bodies only and
// ignore JSON ones (https://api.slack.com/web#posting_json).
const JSON_METHODS = new Set(['auth.test', 'chat.postMessage', 'chat.update', 'chat.postEphemeral', 'chat.delete',
  'conversations.open', 'views.open', 'views.publish', 'views.update', 'views.push']);

const DEFAULT_IDENTITY = Object.freeze({
  url: 'https://fake-workspace.slack.com/',
  team: 'Fake Workspace',
  user: 'challenge',
  team_id: 'T0FAKE',
  user_id: 'U0BOT',
  bot_id: 'B0BOT',
  enterprise_id: '',
  is_enterprise_install: false,
  app_id: 'A0FAKE',
  scopes: 'chat:write,commands,im:write,users:read,users:read.email', // X-OAuth-Scopes
});

const failure = (code) => ({ ok: false, error: code });

function invalidArguments(missing) {
  return { ...failure('invalid_arguments'), response_metadata: { messages: [`[ERROR] missing required field: ${missing}`] } };
}

// A nested argument: a JSON value in a JSON body, JSON text in a form field.
function nested(params, name) {
  const v = params[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') return v;
  try { return JSON.parse(v); } catch { return undefined; }
}

const str = (params, name) => (typeof params[name] === 'string' ? params[name] : '');

export async function startFakeSlack({ users = [], identity = {}, dmChannels = {}, validTokens = [] } = {}) {
  const state = {
    identity: { ...DEFAULT_IDENTITY, ...identity },
    users: [],
    dmChannels: new Map(Object.entries(dmChannels)),
    validTokens: [...validTokens],
    scripts: new Map(),
    defaults: new Map(),
    recorded: [],
    sequence: 0,
    closed: false,
    delays: new Set(),
  };
  const events = new EventEmitter();
  events.setMaxListeners(0);

  const addUser = (u) => state.users.push({
    team_id: state.identity.team_id, name: '', real_name: '', display_name: '', email: '', tz: 'Europe/Berlin',
    is_bot: false, deleted: false, ...u,
  });
  users.forEach(addUser);

  const nextTs = () => `${1700000000 + ++state.sequence}.000100`;
  const nextId = (prefix) => `${prefix}${++state.sequence}`;
  const dmFor = (userId) => state.dmChannels.get(userId) ?? `D${userId}`;

  const userJson = (u) => ({
    id: u.id, team_id: u.team_id, name: u.name, deleted: u.deleted, real_name: u.real_name, tz: u.tz,
    is_admin: false, is_bot: u.is_bot, is_app_user: false, is_restricted: false, is_ultra_restricted: false,
    profile: { real_name: u.real_name, display_name: u.display_name, email: u.email, team: u.team_id },
  });

  const messageJson = (p, ts) => {
    const m = { type: 'message', text: str(p, 'text'), user: state.identity.user_id, bot_id: state.identity.bot_id, ts };
    const blocks = nested(p, 'blocks');
    if (blocks !== undefined) m.blocks = blocks;
    return m;
  };

  // The success (or Slack's own error) for `call`, as the real Web API would answer it.
  function canned(call) {
    if (!call.token) return { body: failure('not_authed') };
    if (state.validTokens.length > 0 && !state.validTokens.includes(call.token)) return { body: failure('invalid_auth') };
    // A JSON body to a form-only method reaches Slack as no arguments at all.
    const p = call.jsonBody && !JSON_METHODS.has(call.method) ? {} : call.params;
    const id = state.identity;
    let body;
    const headers = {};
    switch (call.method) {
      case 'auth.test':
        body = { ok: true, url: id.url, team: id.team, user: id.user, team_id: id.team_id, user_id: id.user_id,
          bot_id: id.bot_id, app_id: id.app_id, is_enterprise_install: id.is_enterprise_install };
        if (id.enterprise_id) body.enterprise_id = id.enterprise_id;
        headers['X-OAuth-Scopes'] = id.scopes;
        break;
      case 'users.lookupByEmail': {
        const email = str(p, 'email');
        if (!email) return { body: invalidArguments('email') };
        // Deactivated users are users_not_found too (Slack's documented behaviour).
        const u = state.users.find((x) => x.email.toLowerCase() === email.toLowerCase() && !x.deleted);
        if (!u) return { body: failure('users_not_found') };
        body = { ok: true, user: userJson(u) };
        break;
      }
      case 'users.info': {
        const user = str(p, 'user');
        if (!user) return { body: invalidArguments('user') };
        const u = state.users.find((x) => x.id === user);
        if (!u) return { body: failure('user_not_found') };
        body = { ok: true, user: userJson(u) };
        break;
      }
      case 'conversations.open': {
        const list = str(p, 'users');
        if (!list) return { body: failure('users_list_not_supplied') };
        body = { ok: true, channel: { id: dmFor(list.split(',')[0]) } };
        break;
      }
      case 'chat.postMessage': {
        let channel = str(p, 'channel');
        if (!channel) return { body: failure('channel_not_found') };
        if (!str(p, 'text') && p.blocks === undefined) return { body: failure('no_text') };
        // A user id as channel posts to the DM with that user (the app's messages tab).
        if (channel.startsWith('U') || channel.startsWith('W')) channel = dmFor(channel);
        const ts = nextTs();
        body = { ok: true, channel, ts, message: messageJson(p, ts) };
        break;
      }
      case 'chat.update': {
        const channel = str(p, 'channel');
        const ts = str(p, 'ts');
        if (!channel) return { body: failure('channel_not_found') };
        if (!ts) return { body: failure('message_not_found') };
        body = { ok: true, channel, ts, text: str(p, 'text'), message: messageJson(p, ts) };
        break;
      }
      case 'chat.postEphemeral':
        if (!str(p, 'channel')) return { body: failure('channel_not_found') };
        if (!str(p, 'user')) return { body: invalidArguments('user') };
        body = { ok: true, message_ts: nextTs() };
        break;
      case 'views.publish':
      case 'views.open': {
        const needed = call.method === 'views.publish' ? 'user_id' : 'trigger_id';
        if (!str(p, needed)) return { body: invalidArguments(needed) };
        if (p.view === undefined) return { body: invalidArguments('view') };
        const view = nested(p, 'view');
        body = { ok: true, view: { ...(view && typeof view === 'object' ? view : {}), id: nextId('V0FAKE'),
          team_id: id.team_id, hash: nextId('1700000000.fakehash'), app_id: id.app_id, bot_id: id.bot_id } };
        break;
      }
      default:
        return { body: failure('unknown_method') };
    }
    if (call.jsonBody && !/charset/i.test(call.contentType)) {
      body.warning = 'missing_charset';
      body.response_metadata = { warnings: ['missing_charset'] };
    }
    return { body, headers };
  }

  function nextBehaviour(method) {
    const queue = state.scripts.get(method);
    if (queue && queue.length > 0) return queue.shift();
    return state.defaults.get(method) ?? behaviour.answer();
  }

  function record(req, raw, method, responseUrlId) {
    const contentType = req.headers['content-type'] ?? '';
    const jsonBody = /^application\/json/i.test(contentType);
    let params = {};
    if (jsonBody) {
      try {
        const parsed = JSON.parse(raw);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) params = parsed;
      } catch { /* recorded with no params, as the C++ fake does */ }
    } else {
      params = Object.fromEntries(new URLSearchParams(raw));
    }
    const authorization = req.headers.authorization ?? '';
    let token = '';
    if (/^bearer /i.test(authorization)) token = authorization.slice(7);
    else if (!jsonBody) token = str(params, 'token');
    return { method, responseUrlId, target: req.url, headers: { ...req.headers }, contentType, body: raw, jsonBody,
      params, token, time: Date.now() };
  }

  async function act(b, call, req, res) {
    // The answer is recorded with its call ({status, body}), e.g. for the ts of a posted message.
    const send = (status, body, headers = {}) => {
      call.response = { status, body };
      events.emit('change');
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };
    if (b.delayMs > 0) {
      await new Promise((resolve) => {
        const timer = setTimeout(() => { state.delays.delete(entry); resolve(); }, b.delayMs);
        const entry = { timer, resolve };
        state.delays.add(entry);
      });
    }
    if (state.closed) return send(503, failure('service_unavailable'));
    switch (b.kind) {
      case 'close_connection': return req.socket.destroy();
      case 'rate_limited': return send(429, failure('ratelimited'), { 'Retry-After': String(b.retryAfter) });
      case 'slack_error': return send(200, { ...failure(b.error), ...b.fields });
      case 'http_status':
        call.response = { status: b.status, body: b.body };
        events.emit('change');
        res.writeHead(b.status, { 'Content-Type': 'text/plain; charset=utf-8' });
        return res.end(b.body);
      default: {
        const answer = call.method === 'response_url' ? { body: { ok: true } } : canned(call);
        return send(200, { ...answer.body, ...b.fields }, answer.headers);
      }
    }
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url, 'http://127.0.0.1');
      const api = /^\/api\/([A-Za-z0-9._]+)$/.exec(url.pathname);
      const responseUrl = /^\/response_url\/([^/]+)$/.exec(url.pathname);
      if (req.method !== 'POST' || (!api && !responseUrl)) {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        return res.end('not found');
      }
      if (state.closed) {
        res.writeHead(503, { 'Content-Type': 'application/json; charset=utf-8' });
        return res.end(JSON.stringify(failure('service_unavailable')));
      }
      const call = record(req, Buffer.concat(chunks).toString('utf8'), api ? api[1] : 'response_url',
        responseUrl ? decodeURIComponent(responseUrl[1]) : '');
      state.recorded.push(call);
      events.emit('change');
      act(nextBehaviour(call.method), call, req, res).catch(() => req.socket.destroy());
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const origin = `http://127.0.0.1:${port}`;

  return {
    port,
    baseUrl: `${origin}/api/`,
    responseUrlPrefix: `${origin}/response_url/`,
    responseUrl: (id) => `${origin}/response_url/${encodeURIComponent(id)}`,

    // Behaviours for the next calls of `method` ('response_url' for response URLs), one per call
    // in arrival order, appended to what is left; then the method's default, else the canned answer.
    script(method, behaviours) {
      if (!state.scripts.has(method)) state.scripts.set(method, []);
      state.scripts.get(method).push(...behaviours);
    },
    setDefault(method, b) { state.defaults.set(method, b); },
    // users.lookupByEmail (case-insensitive) and users.info find these.
    addUser,
    setDmChannel(userId, channelId) { state.dmChannels.set(userId, channelId); },
    setIdentity(fields) { Object.assign(state.identity, fields); },
    // Tokens the Web API accepts; others get invalid_auth, none not_authed. Empty: any token.
    setValidTokens(tokens) { state.validTokens = [...tokens]; },

    // Every recorded call ({method, params, token, time, response, ...}), or those `filter` keeps
    // (a method name or a predicate).
    calls(filter) {
      if (filter === undefined) return [...state.recorded];
      const keep = typeof filter === 'string' ? (c) => c.method === filter : filter;
      return state.recorded.filter(keep);
    },
    clearCalls() { state.recorded.length = 0; },

    // Resolves with the first `n` recorded calls that `filter` keeps once there are that many
    // (checked on every new call and every answer, so a filter may look at `response`); rejects
    // after `ms`, naming `what` and the methods seen.
    waitForCalls(filter, n, ms, what = `${n} call(s)`) {
      const keep = typeof filter === 'string' ? (c) => c.method === filter : filter;
      return new Promise((resolve, reject) => {
        const check = () => {
          const matched = state.recorded.filter(keep);
          if (matched.length < n) return false;
          clearTimeout(timer);
          events.off('change', check);
          resolve(matched.slice(0, n));
          return true;
        };
        const timer = setTimeout(() => {
          events.off('change', check);
          const seen = state.recorded.map((c) => c.method).join(', ') || 'none';
          reject(new Error(`timed out after ${ms} ms waiting for ${what} at the fake Slack; calls seen: ${seen}`));
        }, ms);
        events.on('change', check);
        check();
      });
    },

    // Stops accepting, ends pending delays and closes every connection. Idempotent.
    async close() {
      if (state.closed) return;
      state.closed = true;
      for (const { timer, resolve } of state.delays) { clearTimeout(timer); resolve(); }
      state.delays.clear();
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await closed;
    },
  };
}

// Every text in a Block Kit payload (blocks or a whole message), joined with newlines: what a
// person reads, for assertions that should not depend on the block layout.
export function blockText(value) {
  const out = [];
  const walk = (v) => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    if (typeof v.text === 'string') out.push(v.text);
    for (const [key, inner] of Object.entries(v)) if (key !== 'text' || typeof inner !== 'string') walk(inner);
  };
  walk(typeof value === 'string' ? JSON.parse(value) : value);
  return out.join('\n');
}
