// The published guide against the real binary: its curl commands run verbatim (only the host
// changed to the local server), its Express receiver (with its Node verifier) is the callback
// target, and every live response is checked against api/openapi.json.
//
// Needs CHAL_BINARY (the built `challenge`) and CHAL_TEST_DATABASE_URL; scripts/test sets both.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, execSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGuideReceiver } from '../e2e_node/guide_verifiers.mjs';
import { freePort, waitFor as waitUntil } from '../e2e_node/live_helpers.mjs';
import { loadValidator } from '../e2e_node/openapi_validator.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const binary = process.env.CHAL_BINARY;
const database = process.env.CHAL_TEST_DATABASE_URL;
const secret = 'your-webhook-secret';
const masterKey = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';

let server, port, apiKey, receiver, receiverPort, validateResponse;
const events = [];
let serverLog = '';

function cli(args, env) {
  return JSON.parse(execFileSync(binary, [...args, '--json'], { env, encoding: 'utf8' }));
}

const waitFor = (condition, ms, what) => waitUntil(condition, ms, what, () => serverLog);

async function api(method, urlPath, { body, headers = {} } = {}) {
  const res = await fetch(`http://127.0.0.1:${port}${urlPath}`, {
    method,
    headers: { 'X-API-Key': apiKey, ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : null };
}

function assertDocumented(method, template, reply) {
  const { ok, errors } = validateResponse(method, template, reply.status, reply.json);
  assert.ok(ok, `${method} ${template} ${reply.status} does not match the OpenAPI document: ${JSON.stringify(errors)}\n${reply.text}`);
}

// The guide's curl text with its host replaced by ours; nothing else changes.
function guideCurl(command) {
  return execSync(command.replaceAll('https://challenge.veraproof.io', `http://127.0.0.1:${port}`), {
    encoding: 'utf8', shell: '/bin/bash',
  });
}

before(async () => {
  assert.ok(binary, 'CHAL_BINARY must name the built challenge binary');
  assert.ok(database, 'CHAL_TEST_DATABASE_URL must be set');
  validateResponse = await loadValidator(path.join(here, '../../api/openapi.json'));
  const env = { ...process.env, DATABASE_URL: database, CHALLENGE_MASTER_KEY: masterKey };
  const tenant = cli(['tenant', 'create', '--name', `Live ${Date.now()}`], env);
  const integration = cli(['integration', 'create-webhook', '--tenant', tenant.tenant_id, '--name', 'ITSM System', '--secret', secret], env);
  apiKey = integration.api_key;

  const app = createGuideReceiver({ secret, onEvent: (data) => events.push(data) });
  receiver = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  receiverPort = receiver.address().port;

  port = await freePort();
  server = spawn(binary, ['serve'], {
    env: {
      ...env, CHALLENGE_PORT: String(port), CHALLENGE_ALLOW_HTTP_CALLBACKS: 'true',
      CHALLENGE_ALLOW_LOOPBACK_CALLBACKS: 'true', CHALLENGE_WEBHOOK_POLL_MS: '50', CHALLENGE_LOG_LEVEL: 'warn',
      CHALLENGE_RATE_LIMIT_PER_SECOND: '1000', CHALLENGE_RATE_LIMIT_BURST: '1000',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  server.stderr.on('data', (d) => { serverLog += d; });
  await waitFor(async () => {
    try { return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok; } catch { return false; }
  }, 15000, 'the server to start');
});

after(async () => {
  if (server) {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
  receiver?.close();
});

test("the guide's create curl works unchanged and matches the document", () => {
  const out = guideCurl(`curl -s -X POST https://challenge.veraproof.io/api/v1/challenges \\
 -H "X-API-Key: ${apiKey}" \\
 -H "Content-Type: application/json" \\
 -d '{ "target_user_email": "[email protected]", "context": "Access request for production database", "callback_url": "https://your-system.com/webhook/callback" }'`);
  const body = JSON.parse(out);
  assertDocumented('POST', '/api/v1/challenges', { status: 201, json: body, text: out });
  assert.equal(body.status, 'initiated');
  assert.match(body.verification_url, new RegExp(`/challenge/start/${body.challenge_id}$`));
});

test("the guide's workflow extracts the id, polls the status and its loop ends", async () => {
  const create = guideCurl(`RESPONSE=$(curl -s -X POST https://challenge.veraproof.io/api/v1/challenges \\
 -H "X-API-Key: ${apiKey}" \\
 -H "Content-Type: application/json" \\
 -d '{ "target_user_email": "[email protected]", "context": "Access request for production database", "callback_url": "http://127.0.0.1:${receiverPort}/webhook/callback" }')
CHALLENGE_ID=$(echo $RESPONSE | python3 -c 'import json,sys; print(json.load(sys.stdin)["challenge_id"])')
echo $CHALLENGE_ID`).trim();
  const status = guideCurl(`curl -s -X GET https://challenge.veraproof.io/api/v1/challenges/${create} \\
 -H "X-API-Key: ${apiKey}"`);
  const body = JSON.parse(status);
  assertDocumented('GET', '/api/v1/challenges/{challenge_id}', { status: 200, json: body, text: status });
  assert.equal(body.status, 'initiated');

  // Ending the challenge ends the guide's poll loop (it stops on verified, failed or expired).
  const canceled = await api('POST', `/api/v1/challenges/${create}/cancel`);
  assertDocumented('POST', '/api/v1/challenges/{challenge_id}/cancel', canceled);
  const loop = guideCurl(`CHALLENGE_ID=${create}
for i in $(seq 1 5); do STATUS=$(curl -s -X GET https://challenge.veraproof.io/api/v1/challenges/$CHALLENGE_ID -H "X-API-Key: ${apiKey}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
echo "Challenge status: $STATUS"
if [ "$STATUS" = "verified" ] || [ "$STATUS" = "failed" ] || [ "$STATUS" = "expired" ]; then break; fi
sleep 1; done`);
  assert.match(loop, /Challenge status: failed/);

  // The guide's own Express receiver verified the signature and took the event.
  await waitFor(() => events.some((e) => e.challenge_id === create), 15000, 'the callback at the guide receiver');
  const event = events.find((e) => e.challenge_id === create);
  assert.equal(event.event_type, 'challenge.completed');
  assert.equal(event.status, 'failed');
  assert.equal(event.failure_reason, 'canceled');
  const { ok, errors } = validateResponse.validateWebhookPayload('challengeCompleted', event);
  assert.ok(ok, JSON.stringify(errors));
});

test('every error the API gives matches the document', async () => {
  const cases = [
    ['POST', '/api/v1/challenges', { body: '{}' }, 400],
    ['POST', '/api/v1/challenges', { body: '{"target_user_id":"u","expiry_minutes":0}' }, 400],
    ['POST', '/api/v1/challenges', { body: 'target_user_id=u', headers: { 'Content-Type': 'text/plain' } }, 415],
    ['POST', '/api/v1/challenges', { body: JSON.stringify({ target_user_id: 'u', context: 'x'.repeat(70000) }) }, 413],
    ['POST', '/api/v1/challenges', { body: '{"target_user_id":"u"}', headers: { 'X-API-Key': 'chk_wrong' } }, 401],
    ['GET', '/api/v1/challenges/{challenge_id}', {}, 404],
    ['GET', '/api/v1/challenges', { query: '?limit=500' }, 400],
  ];
  for (const [method, template, options, expected] of cases) {
    const concrete = template.replace('{challenge_id}', '01a21614-54d6-7ac8-9f42-64e3e95fc3d8') + (options.query ?? '');
    const reply = await api(method, concrete, options);
    assert.equal(reply.status, expected, `${method} ${concrete}: ${reply.text}`);
    assertDocumented(method, template, reply);
  }
});

test('idempotent creates replay and the list pages match the document', async () => {
  const body = JSON.stringify({ target_user_id: 'user123', context: 'Ticket 7' });
  const first = await api('POST', '/api/v1/challenges', { body, headers: { 'Idempotency-Key': `k-${Date.now()}` } });
  assertDocumented('POST', '/api/v1/challenges', first);
  const list = await api('GET', '/api/v1/challenges?limit=2');
  assertDocumented('GET', '/api/v1/challenges', list);
  assert.ok(list.json.challenges.length <= 2);
  const replay = await api('POST', '/api/v1/challenges', { body, headers: { 'Idempotency-Key': 'reused' } });
  const changed = await api('POST', '/api/v1/challenges', { body: '{"target_user_id":"other"}', headers: { 'Idempotency-Key': 'reused' } });
  assert.equal(replay.status, 201);
  assert.equal(changed.status, 422);
  assertDocumented('POST', '/api/v1/challenges', changed);
});

test('the operator CLI lists the delivery and redelivers it with the same webhook-id', async () => {
  const env = { ...process.env, DATABASE_URL: database, CHALLENGE_MASTER_KEY: masterKey };
  const before = events.length;
  const created = await api('POST', '/api/v1/challenges', {
    body: JSON.stringify({ target_user_id: 'u', callback_url: `http://127.0.0.1:${receiverPort}/webhook/callback` }),
  });
  await api('POST', `/api/v1/challenges/${created.json.challenge_id}/cancel`);
  await waitFor(() => events.length > before, 15000, 'the first delivery');
  let delivery;
  await waitFor(() => {
    delivery = cli(['deliveries', 'list', '--state', 'delivered', '--limit', '100'], env).deliveries
      .find((d) => d.challenge_id === created.json.challenge_id);
    return Boolean(delivery);
  }, 15000, 'the delivery to be recorded');
  const again = cli(['deliveries', 'redeliver', '--delivery', delivery.delivery_id], env);
  assert.equal(again.state, 'pending');
  await waitFor(() => events.filter((e) => e.challenge_id === created.json.challenge_id).length === 2, 15000, 'the redelivery');
  await waitFor(() => cli(['deliveries', 'attempts', '--delivery', delivery.delivery_id], env).attempts.length === 2, 15000, 'two attempts');
  const attempts = cli(['deliveries', 'attempts', '--delivery', delivery.delivery_id], env).attempts;
  assert.deepEqual(attempts.map((a) => a.trigger), ['scheduled', 'manual']);
});
