// bench/tools/fake_slack.js: a fast loopback stand-in for Slack's Web API, for bench/run's (d).
//
//   node bench/tools/fake_slack.js --port-file F [--delay-ms N] [--hang-token T]
//
// Listens on 127.0.0.1 (a free port, written to F once listening) and answers POST /api/<method>
// like Slack (shapes as in tests/support/fake_slack.cpp), for any token and any user id:
//   auth.test           {ok, url, team, user, team_id T0BENCH, user_id U0BOT, bot_id B0BOT, app_id A0BENCH}
//                       and the X-OAuth-Scopes header (what `challenge slack set-credentials` stores)
//   users.info          a live, human user with id = the `user` argument and email <id>@example.com
//   conversations.open  {ok, channel: {id: "D" + the first of `users`}}
//   chat.postMessage    {ok, channel, ts}; chat.update likewise (same ts)
//   anything else       {ok: false, error: "unknown_method"}
// Arguments are read from a form or a JSON body. GET /stats answers the call counts per method and
// the TCP connections accepted. --delay-ms delays the answers to the card worker's calls
// (conversations.open, chat.*): Slack's own latency, or with more than the server's 10 s timeout an
// unreachable Slack, for experiments. --hang-token: the card worker's calls made with that bot
// token are never answered (one workspace whose Slack calls hang; the server's timeout ends
// them). GET /arrivals lists, per challenge, when its first chat.postMessage (the target's card,
// which carries the challenge's link) arrived: "<challenge_id> <CLOCK_REALTIME ns>" a line.
// SIGTERM/SIGINT: prints the stats on stderr and exits.
'use strict';
const http = require('http');
const fs = require('fs');

const args = process.argv.slice(2);
const option = (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const portFile = option('port-file');
if (!portFile) {
    process.stderr.write('usage: fake_slack.js --port-file F [--delay-ms N]\n');
    process.exit(2);
}
const delayMs = Number(option('delay-ms', '0'));
const hangToken = option('hang-token', '');
// Wall-clock nanoseconds with the monotonic clock's resolution (Date.now() has only ms).
const realStartNs = BigInt(Date.now()) * 1000000n;
const monoStart = process.hrtime.bigint();
const realNowNs = () => realStartNs + (process.hrtime.bigint() - monoStart);
const firstCard = new Map();
let held = 0;

const TEAM = 'T0BENCH';
const SCOPES = 'chat:write,commands,im:write,users:read,users:read.email';
const calls = {};
let connections = 0;
let sequence = 0;

function params(req, body) {
    if (body.length === 0) return {};
    if ((req.headers['content-type'] || '').startsWith('application/json')) {
        try {
            return JSON.parse(body);
        } catch {
            return {};
        }
    }
    return Object.fromEntries(new URLSearchParams(body));
}

// method, arguments -> [body object, extra headers]
function answer(method, p) {
    switch (method) {
    case 'auth.test':
        return [{ok: true, url: 'https://bench.slack.com/', team: 'Bench', user: 'challenge', team_id: TEAM,
                 user_id: 'U0BOT', bot_id: 'B0BOT', app_id: 'A0BENCH', is_enterprise_install: false},
                {'X-OAuth-Scopes': SCOPES}];
    case 'users.info': {
        const id = String(p.user || '');
        if (!id) return [{ok: false, error: 'invalid_arguments'}];
        const name = id.toLowerCase();
        return [{ok: true, user: {id, team_id: TEAM, name, real_name: name, deleted: false, is_bot: false,
                                  is_app_user: false, profile: {email: `${name}@example.com`, display_name: name,
                                                                real_name: name}}}];
    }
    case 'conversations.open': {
        const first = String(p.users || '').split(',')[0];
        if (!first) return [{ok: false, error: 'invalid_arguments'}];
        return [{ok: true, channel: {id: `D${first}`}}];
    }
    case 'chat.postMessage':
    case 'chat.update': {
        const channel = String(p.channel || '');
        if (!channel) return [{ok: false, error: 'channel_not_found'}];
        const ts = method === 'chat.update' && p.ts ? String(p.ts) : `${1700000000 + ++sequence}.000100`;
        return [{ok: true, channel, ts}];
    }
    default:
        return [{ok: false, error: 'unknown_method'}];
    }
}

function send(res, status, body, headers = {}) {
    const text = JSON.stringify(body);
    res.writeHead(status, {'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text),
                           ...headers});
    res.end(text);
}

const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
        if (req.method === 'GET' && req.url === '/stats') return send(res, 200, {calls, connections, held});
        if (req.method === 'GET' && req.url === '/arrivals') {
            res.writeHead(200, {'Content-Type': 'text/plain'});
            return res.end([...firstCard].map(([id, ns]) => `${id} ${ns}\n`).join(''));
        }
        const m = /^\/api\/([A-Za-z.]+)/.exec(req.url || '');
        if (req.method !== 'POST' || !m) return send(res, 404, {ok: false, error: 'unknown_method'});
        const method = m[1];
        calls[method] = (calls[method] || 0) + 1;
        const text = Buffer.concat(chunks).toString('utf8');
        const cardCall = /^(conversations|chat)\./.test(method);
        if (hangToken && cardCall && req.headers.authorization === `Bearer ${hangToken}`) {
            ++held;  // never answered; counted while the caller waits
            res.on('close', () => --held);
            return;
        }
        if (method === 'chat.postMessage') {
            const id = /challenge(?:\/|%2F)start(?:\/|%2F)([0-9a-f-]{36})/i.exec(text);
            if (id && !firstCard.has(id[1])) firstCard.set(id[1], realNowNs());
        }
        const [body, headers] = answer(method, params(req, text));
        if (delayMs > 0 && cardCall) setTimeout(() => send(res, 200, body, headers), delayMs);
        else send(res, 200, body, headers);
    });
});
server.keepAliveTimeout = 120000;
server.headersTimeout = 125000;
server.on('connection', () => ++connections);
server.listen(0, '127.0.0.1', () => {
    fs.writeFileSync(`${portFile}.tmp`, `${server.address().port}\n`);
    fs.renameSync(`${portFile}.tmp`, portFile);
});
const stop = () => {
    process.stderr.write(`fake_slack: ${JSON.stringify({calls, connections})}\n`);
    process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
