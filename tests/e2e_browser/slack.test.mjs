// The Slack flow end to end: signed requests from "Slack" to the real binary, its Web API calls
// answered and recorded by a fake Slack (fake_slack.mjs, over real HTTP), the target's
// verification in a real browser (Debian's Chromium driven by playwright-core) against a real
// OpenID Provider (tests/idp/oidc_op.mjs), and the real PostgreSQL underneath. Callbacks arrive
// at the published guide's Express receiver, which checks their signatures.
//
// Needs CHAL_BINARY, CHAL_TEST_DATABASE_URL and /usr/bin/chromium; scripts/test provides them.
// Runs in a database of its own, created on CHAL_TEST_DATABASE_URL's server and dropped at the
// end: node --test may run verification.test.mjs at the same time, and every server claims due
// Slack jobs and callbacks from the whole database, so a server sharing it could take this
// file's Slack jobs and send them to its own (unreachable) Slack.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createGuideReceiver } from '../e2e_node/guide_verifiers.mjs';
import { freePort, waitFor as waitUntil } from '../e2e_node/live_helpers.mjs';
import { launchChromium, startFixture, startServer, stopChild } from './harness.mjs';
import { startFakeSlack, blockText, behaviour } from './fake_slack.mjs';

const binary = process.env.CHAL_BINARY;
const sharedDatabase = process.env.CHAL_TEST_DATABASE_URL;
let database;  // this file's own, see above
const masterKey = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
const webhookSecret = 'slack-browser-webhook-secret';
const clientId = 'challenge-slack-browser-test';
const clientSecret = 'slack+browser/secret';
const signingSecret = randomBytes(16).toString('hex');
const botToken = `xoxb-browser-${randomBytes(8).toString('hex')}`;
const team = 'T0BROWSER';
const requester = 'U0REQ';
const target = 'U0TGT';
const securityChannel = 'C0SECURITY';
const deadline = 20000;
const ackBudgetMs = 1000;  // CHALLENGE_SLACK_ACK_BUDGET_MS: Slack waits 3 s; a slow Slack call must not hold the answer

let server, port, base, apiKey, tenantId, instance, op, slack, browser, receiver, receiverPort;
let serverLog = '';
let sequence = 0;
const callbacks = [];

const waitFor = (condition, ms, what) => waitUntil(condition, ms, what, () => serverLog.slice(-4000));

// Asynchronous: the fake Slack answering the CLI's auth.test runs in this process.
async function cli(args, env) {
  return (await promisify(execFile)(binary, args, { env, encoding: 'utf8' })).stdout;
}

function psql(sql, url = database) {
  return execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { encoding: 'utf8' }).trim();
}

async function api(method, urlPath, body) {
  const res = await fetch(`${base}${urlPath}`, {
    method,
    headers: { 'X-API-Key': apiKey, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function statusOf(id) {
  const res = await api('GET', `/api/v1/challenges/${id}`);
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return res.json;
}

// A request signed as Slack signs it (v0: HMAC-SHA256 of "v0:<ts>:<body>" with the signing secret).
async function postSigned(body, contentType) {
  const ts = String(Math.floor(Date.now() / 1000));
  const signature = `v0=${createHmac('sha256', signingSecret).update(`v0:${ts}:${body}`).digest('hex')}`;
  return fetch(`${base}/slack/${tenantId}/${instance}/events`, {
    method: 'POST',
    headers: { 'Content-Type': contentType, 'X-Slack-Request-Timestamp': ts, 'X-Slack-Signature': signature },
    body,
  });
}

// `/challenge <text>` from the requester: {status, answer (the JSON body, null when empty), responseUrlId}.
async function slashCommand(text, user = requester) {
  const responseUrlId = `cmd-${++sequence}`;
  const body = new URLSearchParams({
    token: 'deprecated', team_id: team, team_domain: 'browser', channel_id: 'C0GENERAL', channel_name: 'general',
    user_id: user, user_name: 'rita', command: '/challenge', text, api_app_id: 'A0BROWSER',
    is_enterprise_install: 'false', response_url: slack.responseUrl(responseUrlId),
    trigger_id: '13345224609.738474920.8088930838d88f008e0',
  }).toString();
  const res = await postSigned(body, 'application/x-www-form-urlencoded');
  const raw = await res.text();
  return { status: res.status, answer: raw ? JSON.parse(raw) : null, responseUrlId };
}

// The challenge a command just created (the command answers after the row is committed).
function newestChallenge() {
  return psql(`SELECT id FROM challenges WHERE tenant_id = '${tenantId}' ORDER BY created_at DESC, id DESC LIMIT 1`);
}

// Calls of `method`, with the bot token this file installed, that `more` keeps.
const ours = (method, more = () => true) => (c) => c.method === method && c.token === botToken && more(c);
const mentions = (id) => (c) => c.body.includes(id);

// The chat.postMessage to `channel` about challenge `id` that Slack accepted.
async function postTo(channel, id, what) {
  const accepted = (c) => c.params.channel === channel && mentions(id)(c) && c.response?.body?.ok === true;
  const [post] = await slack.waitForCalls(ours('chat.postMessage', accepted), 1, deadline, what);
  return post;
}

function buttons(message) {
  return (message.params.blocks ?? []).filter((b) => b.type === 'actions').flatMap((b) => b.elements);
}

// The chat.update of the message `post` created: the channel and the ts the fake answered.
async function updateOf(post, what) {
  const ts = post.response?.body?.ts;
  assert.ok(ts, `the post was answered with a ts: ${JSON.stringify(post.response)}`);
  const [update] = await slack.waitForCalls(
    ours('chat.update', (c) => c.params.channel === post.response.body.channel && c.params.ts === ts), 1, deadline, what);
  return update;
}

// Opens the card's Verify link in a fresh 1280x720 browser, signs in at the provider as the
// target and waits for the device report; returns the code the page showed.
async function verifyInBrowser(url, id) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await ctx.newPage();
  await page.goto(url);
  await page.click('#verify');
  await page.waitForSelector('input[name="login"]', { timeout: 15000 });
  await page.fill('input[name="login"]', 'tom@example.com');
  await page.fill('input[name="password"]', 'password');
  await page.click('#submit');
  await page.waitForURL(`${base}/challenge/verified/${id}`, { timeout: 15000 });
  await page.waitForSelector('body[data-device-state="sent"]', { timeout: 10000 });
  const code = (await page.textContent('#code')).trim();
  await ctx.close();
  return code;
}

// The device details every outcome message must show, as the service stored them.
function assertShowsDevice(text, device, who) {
  assert.ok(device.browser && device.os, `device details were stored: ${JSON.stringify(device)}`);
  assert.match(text, /Device details/, who);
  assert.ok(text.includes(device.browser), `${who} names the browser ${device.browser}:\n${text}`);
  assert.ok(text.includes(device.os), `${who} names the OS ${device.os}:\n${text}`);
  assert.match(text, /1280x720/, `${who} shows the screen`);
}


before(async () => {
  assert.ok(binary, 'CHAL_BINARY must name the built challenge binary');
  assert.ok(sharedDatabase, 'CHAL_TEST_DATABASE_URL must be set');
  const url = new URL(sharedDatabase);
  const name = `${url.pathname.slice(1)}_slack_${process.pid}_${randomBytes(3).toString('hex')}`;
  psql(`CREATE DATABASE "${name}"`, sharedDatabase);
  url.pathname = `/${name}`;
  database = url.href;
  port = await freePort();
  base = `http://127.0.0.1:${port}`;

  slack = await startFakeSlack({
    identity: { team_id: team, team: 'Browser Workspace', app_id: 'A0BROWSER', user_id: 'U0BOT', bot_id: 'B0BOT' },
    validTokens: [botToken],  // the CLI must store, and the server send, exactly this token
    users: [
      { id: requester, name: 'rita', real_name: 'Rita Requester', email: 'rita@example.com' },
      { id: target, name: 'tom', real_name: 'Tom Target', email: 'tom@example.com' },
    ],
  });

  const dir = mkdtempSync(path.join(os.tmpdir(), 'chal-slack-browser-'));
  const usersFile = path.join(dir, 'users.json');
  writeFileSync(usersFile, JSON.stringify([{ email: 'tom@example.com', name: 'Tom' }, { email: 'rita@example.com', name: 'Rita' }]));
  op = await startFixture('../idp/oidc_op.mjs', ['--client-id', clientId, '--client-secret', clientSecret,
    '--redirect-uri', `${base}/auth/callback/oidc`, '--alg', 'ES256', '--users', usersFile]);

  const env = {
    ...process.env, DATABASE_URL: database, CHALLENGE_MASTER_KEY: masterKey,
    CHALLENGE_PUBLIC_BASE_URL: base, CHALLENGE_SLACK_API_BASE_URL: slack.baseUrl,
  };
  await cli(['migrate'], env);
  const stamp = `${Date.now()}-${randomBytes(3).toString('hex')}`;
  tenantId = JSON.parse(await cli(['tenant', 'create', '--name', `Slack browser ${stamp}`, '--json'], env)).tenant_id;
  apiKey = JSON.parse(await cli(['integration', 'create-webhook', '--tenant', tenantId, '--name', 'ITSM', '--secret', webhookSecret,
    '--json'], env)).api_key;
  await cli(['tenant', 'set-oidc', '--tenant', tenantId, '--issuer', op.issuer, '--client-id', clientId,
    '--client-secret', clientSecret], env);
  instance = `browser-${stamp}`;
  await cli(['slack', 'create-app', '--tenant', tenantId, '--name', 'Browser Slack', '--instance', instance, '--json'], env);
  const signingFile = path.join(dir, 'signing-secret');
  const tokenFile = path.join(dir, 'bot-token');
  writeFileSync(signingFile, `${signingSecret}\n`);
  writeFileSync(tokenFile, `${botToken}\n`);
  const stored = JSON.parse(await cli(['slack', 'set-credentials', '--tenant', tenantId, '--instance', instance,
    '--signing-secret-file', signingFile, '--bot-token-file', tokenFile, '--security-channel', securityChannel, '--json'], env));
  // set-credentials asked the fake Slack who the token is and stored that installation.
  assert.equal(stored.installation.team_id, team);
  assert.equal(stored.installation.bot_user_id, 'U0BOT');
  assert.equal(stored.app_id, 'A0BROWSER');
  const authTest = slack.calls(ours('auth.test'));
  assert.equal(authTest.length, 1, 'set-credentials called auth.test with the bot token');

  const app = createGuideReceiver({ secret: webhookSecret, onEvent: (data) => callbacks.push(data) });
  receiver = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  receiverPort = receiver.address().port;

  const serverEnv = {
    ...env, CHALLENGE_PORT: String(port),
    CHALLENGE_SLACK_RESPONSE_URL_PREFIX: slack.responseUrlPrefix, CHALLENGE_SLACK_POLL_MS: '50',
    CHALLENGE_SLACK_ACK_BUDGET_MS: String(ackBudgetMs),
    CHALLENGE_ALLOW_HTTP_CALLBACKS: 'true', CHALLENGE_ALLOW_LOOPBACK_CALLBACKS: 'true',
    CHALLENGE_ALLOW_HTTP_IDP: 'true', CHALLENGE_ALLOW_LOOPBACK_IDP: 'true',
    CHALLENGE_WEBHOOK_POLL_MS: '50', CHALLENGE_EXPIRY_SWEEP_MS: '200', CHALLENGE_LOG_LEVEL: 'info',
  };
  server = await startServer(binary, serverEnv, base, (d) => { serverLog += d; }, waitFor);

  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await stopChild(server);
  await stopChild(op?.child);
  await slack?.close();
  receiver?.close();
  if (database) psql(`DROP DATABASE IF EXISTS "${new URL(database).pathname.slice(1)}" WITH (FORCE)`, sharedDatabase);
});

test('/challenge sends the card, the target verifies in the browser, and both messages show the device', async () => {
  const res = await slashCommand(`<@${target}|tom> resetting your password`);
  assert.equal(res.status, 200);
  const { answer } = res;
  assert.equal(answer.response_type, 'ephemeral');
  assert.match(answer.text, new RegExp(`Challenge sent to <@${target}>`));
  const code = /\*([0-9]{6})\*/.exec(answer.text)?.[1];
  assert.ok(code, `the ephemeral carries the code: ${answer.text}`);
  const id = newestChallenge();
  assert.equal(psql(`SELECT origin || '|' || target_user_email || '|' || requester_id || '|' || verification_code
    FROM challenges WHERE id = '${id}'`), `slack_command|tom@example.com|${requester}|${code}`);

  // The service looked the target up (a form body, as users.info takes) and opened the DM.
  assert.ok(slack.calls(ours('users.info', (c) => c.params.user === target && !c.jsonBody)).length >= 1);
  const card = await postTo(`D${target}`, id, "the target's card");
  const requesterPost = await postTo(`D${requester}`, id, "the requester's DM");
  assert.ok(slack.calls(ours('conversations.open', (c) => c.params.users === target && c.jsonBody)).length >= 1);
  const verify = buttons(card).find((b) => b.action_id === 'verify');
  assert.equal(verify?.url, `${base}/challenge/start/${id}`);
  assert.ok(buttons(card).some((b) => b.action_id === 'report_incident' && b.value === id));
  assert.ok(!card.body.includes(code), "the target's card must not carry the code");
  assert.ok(requesterPost.body.includes(code), "the requester's DM carries the code");

  // The target follows the card's link and signs in as themselves.
  const shown = await verifyInBrowser(verify.url, id);
  assert.equal(shown, code, 'the target sees the code after signing in');
  const done = await statusOf(id);
  assert.equal(done.status, 'verified');
  assert.equal(done.auth_method, 'oidc');
  assert.equal(done.device_fingerprint.details_collected, true);
  assert.equal(done.device_fingerprint.screen, '1280x720');

  const targetUpdate = await updateOf(card, "the update of the target's card");
  const requesterUpdate = await updateOf(requesterPost, "the update of the requester's DM");
  const targetText = blockText(targetUpdate.params.blocks);
  const requesterText = blockText(requesterUpdate.params.blocks);
  assertShowsDevice(targetText, done.device_fingerprint, "the target's update");
  assertShowsDevice(requesterText, done.device_fingerprint, "the requester's update");
  assert.match(targetText, /Verified/);
  assert.match(targetText, /You confirmed your identity for <@U0REQ>/);
  assert.match(requesterText, /:white_check_mark: Verified/);
  assert.match(requesterText, /\*<@U0TGT>\* confirmed their identity/);
  assert.ok(requesterText.includes(code), "the requester's update repeats the code to read back");
  assert.match(requesterText, /OpenID Connect/);
  for (const update of [targetUpdate, requesterUpdate]) {
    assert.ok(!buttons(update).some((b) => b.action_id === 'verify'), 'a finished card has no Verify button');
  }
  // No incident, so nothing for the security channel.
  assert.equal(slack.calls(ours('chat.postMessage', (c) => c.params.channel === securityChannel && mentions(id)(c))).length, 0);
});

test("reporting an incident on the verification page updates both messages and alerts the security channel", async () => {
  const res = await slashCommand(`<@${target}|tom> wire transfer to a new account`);
  assert.equal(res.status, 200);
  assert.match(res.answer.text, /Challenge sent/);
  const id = newestChallenge();
  const card = await postTo(`D${target}`, id, "the target's card");
  const requesterPost = await postTo(`D${requester}`, id, "the requester's DM");
  const verify = buttons(card).find((b) => b.action_id === 'verify');

  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(verify.url);
  await page.click('#report');
  await page.fill('#details', 'I never asked for a transfer');
  await page.click('#confirm-report');
  assert.match(await page.textContent('h1'), /Thank you for reporting/);
  await ctx.close();
  const after = await statusOf(id);
  assert.equal(after.status, 'failed');
  assert.equal(after.failure_reason, 'incident_reported');

  const targetText = blockText((await updateOf(card, "the update of the target's card")).params.blocks);
  const requesterText = blockText((await updateOf(requesterPost, "the update of the requester's DM")).params.blocks);
  assert.match(targetText, /Incident reported/);
  assert.match(targetText, /You reported .* that you did not ask for this check/s);
  assert.match(requesterText, /Incident reported/);
  assert.match(requesterText, /<@U0TGT> says they did not ask for this check/);
  assert.match(requesterText, /I never asked for a transfer/, "the target's note reaches the requester");

  const alert = await postTo(securityChannel, id, 'the security alert');
  const alertText = blockText(alert.params.blocks);
  assert.match(alertText, /Security alert: incident reported/);
  assert.match(alertText, /<@U0TGT>.* reported that they did not ask for an identity check requested by .*<@U0REQ>/s);
});

test('a Slack challenge created through the REST API reaches the card, and its verification calls back and updates it', async () => {
  const created = await api('POST', '/api/v1/challenges', {
    integration_type: 'slack', target_user_email: 'tom@example.com', context: 'Laptop re-enrolment',
    callback_url: `http://127.0.0.1:${receiverPort}/webhook/callback`,
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const id = created.json.challenge_id;
  assert.equal(created.json.verification_url, `${base}/challenge/start/${id}`);
  // Found by email (users.lookupByEmail takes a form body).
  assert.ok(slack.calls(ours('users.lookupByEmail', (c) => c.params.email === 'tom@example.com' && !c.jsonBody)).length >= 1);
  assert.equal(psql(`SELECT origin || '|' || requester_id || '|' || target_user_id FROM challenges WHERE id = '${id}'`),
    `slack_api|U0BOT|${target}`);

  const card = await postTo(`D${target}`, id, "the target's card");
  const verify = buttons(card).find((b) => b.action_id === 'verify');
  assert.equal(verify?.url, created.json.verification_url);

  await verifyInBrowser(verify.url, id);
  const done = await statusOf(id);
  assert.equal(done.status, 'verified');

  // The guide's receiver calls onEvent only for a callback whose signature it accepted.
  await waitFor(() => callbacks.some((c) => c.challenge_id === id), deadline, 'the signed callback');
  const callback = callbacks.find((c) => c.challenge_id === id);
  assert.equal(callback.status, 'verified');
  assert.equal(callback.event_type, 'challenge.completed');
  assert.equal(callback.device_fingerprint.screen, '1280x720');

  const update = await updateOf(card, "the update of the target's card");
  const text = blockText(update.params.blocks);
  assert.match(text, /Verified/);
  assertShowsDevice(text, done.device_fingerprint, "the target's update");
  // The app's bot asked: no requester DM to post or update.
  assert.equal(slack.calls(ours('chat.postMessage', (c) => c.params.channel !== `D${target}` && mentions(id)(c))).length, 0);
});

test('a slow, rate-limited Slack: the command is acknowledged in time, answered at its response URL, and the card still goes out', async () => {
  // Looking the target up by email outlasts the acknowledgement budget; the card's first post is refused.
  slack.script('users.lookupByEmail', [behaviour.slow(ackBudgetMs + 1000)]);
  slack.script('chat.postMessage', [behaviour.rateLimited(1)]);
  const started = Date.now();
  const res = await slashCommand('tom@example.com checking before the wire goes out');
  assert.equal(res.status, 200);
  assert.equal(res.answer, null, 'an empty acknowledgement: the answer follows at the response URL');
  assert.ok(Date.now() - started < ackBudgetMs + 1000, `acknowledged before Slack answered (${Date.now() - started} ms)`);

  const [late] = await slack.waitForCalls((c) => c.method === 'response_url' && c.responseUrlId === res.responseUrlId, 1,
    deadline, 'the answer at the response URL');
  assert.equal(late.params.response_type, 'ephemeral');
  assert.match(late.params.text, /Challenge sent to <@U0TGT>/);
  const id = newestChallenge();
  assert.ok(late.params.text.includes(psql(`SELECT verification_code FROM challenges WHERE id = '${id}'`)));

  const card = await postTo(`D${target}`, id, 'the card after the 429');
  const tries = slack.calls(ours('chat.postMessage', (c) => c.params.channel === `D${target}` && mentions(id)(c)));
  assert.equal(tries[0].response.status, 429, 'the first post was rate-limited');
  assert.ok(card.time - tries[0].time >= 1000, 'the retry waited at least Retry-After');
  await postTo(`D${requester}`, id, "the requester's DM");
});
