// node --test e2e_node/  (from tests/)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import crypto from 'node:crypto';

import { verifyWebhookSignature, createGuideReceiver } from './guide_verifiers.mjs';

const PYTHON_VERIFIER = fileURLToPath(new URL('./guide_verifier.py', import.meta.url));

// GitHub's published test vector ("Validating webhook deliveries").
const SECRET = "It's a Secret to Everybody";
const PAYLOAD = 'Hello, World!';
const SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
const WRONG = 'sha256=' + '0'.repeat(64);

function pythonVerifies(secret, header, body) {
  const run = spawnSync('python3', [PYTHON_VERIFIER, secret, header], { input: body });
  if (run.error) throw run.error;
  assert.ok(run.status === 0 || run.status === 1, `unexpected exit ${run.status}: ${run.stderr}`);
  return run.status === 0;
}

test('Node verifier: GitHub vector accepted, as Buffer and as string', () => {
  assert.equal(verifyWebhookSignature(Buffer.from(PAYLOAD), SIGNATURE, SECRET), true);
  assert.equal(verifyWebhookSignature(PAYLOAD, SIGNATURE, SECRET), true);
  // The guide's replace() also accepts the bare hex.
  assert.equal(verifyWebhookSignature(Buffer.from(PAYLOAD), SIGNATURE.slice(7), SECRET), true);
});

test('Node verifier: wrong signature, body, secret or missing inputs rejected', () => {
  assert.equal(verifyWebhookSignature(Buffer.from(PAYLOAD), WRONG, SECRET), false);
  assert.equal(verifyWebhookSignature(Buffer.from('Hello, World?'), SIGNATURE, SECRET), false);
  assert.equal(verifyWebhookSignature(Buffer.from(PAYLOAD), SIGNATURE, 'another secret'), false);
  assert.equal(verifyWebhookSignature(Buffer.from(PAYLOAD), SIGNATURE.toUpperCase().replace('SHA256=', 'sha256='), SECRET), false);
  assert.equal(verifyWebhookSignature(Buffer.from(PAYLOAD), undefined, SECRET), false);
  assert.equal(verifyWebhookSignature(Buffer.from(PAYLOAD), SIGNATURE, ''), false);
});

test('Node verifier: a wrong-length signature throws, as the guide code does', () => {
  assert.throws(() => verifyWebhookSignature(Buffer.from(PAYLOAD), 'sha256=abc', SECRET), RangeError);
});

test('Python verifier: GitHub vector accepted', () => {
  assert.equal(pythonVerifies(SECRET, SIGNATURE, Buffer.from(PAYLOAD)), true);
  assert.equal(pythonVerifies(SECRET, SIGNATURE.slice(7), Buffer.from(PAYLOAD)), true);
});

test('Python verifier: wrong signature, body, secret or missing inputs rejected', () => {
  assert.equal(pythonVerifies(SECRET, WRONG, Buffer.from(PAYLOAD)), false);
  assert.equal(pythonVerifies(SECRET, SIGNATURE, Buffer.from('Hello, World?')), false);
  assert.equal(pythonVerifies('another secret', SIGNATURE, Buffer.from(PAYLOAD)), false);
  assert.equal(pythonVerifies(SECRET, 'sha256=abc', Buffer.from(PAYLOAD)), false);
  assert.equal(pythonVerifies(SECRET, '', Buffer.from(PAYLOAD)), false);
  assert.equal(pythonVerifies(SECRET, 'sha256=é', Buffer.from(PAYLOAD)), false);
});

test('both verifiers agree on a callback-like body with a non-ASCII secret and body', () => {
  const secret = 'wh-sécret-🔑';
  const body = Buffer.from(JSON.stringify({ event_type: 'challenge.completed', context: 'Zugriff für Ärztin' }));
  const header = 'sha256=' + crypto.createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('hex');
  assert.equal(verifyWebhookSignature(body, header, secret), true);
  assert.equal(pythonVerifies(secret, header, body), true);
  const tampered = Buffer.concat([body, Buffer.from(' ')]);
  assert.equal(verifyWebhookSignature(tampered, header, secret), false);
  assert.equal(pythonVerifies(secret, header, tampered), false);
});

test("the guide's Express receiver accepts a signed body and refuses a bad signature", async () => {
  const events = [];
  const app = createGuideReceiver({ secret: SECRET, onEvent: (data) => events.push(data) });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const url = `http://127.0.0.1:${server.address().port}/webhook/callback`;
    const body = JSON.stringify({ event_type: 'challenge.completed' });
    const sign = 'sha256=' + crypto.createHmac('sha256', SECRET).update(body).digest('hex');
    const post = (signature) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(signature ? { 'x-webhook-signature': signature } : {}) },
        body,
      });

    const ok = await post(sign);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { status: 'ok' });
    assert.deepEqual(events, [{ event_type: 'challenge.completed' }]);

    const bad = await post(WRONG);
    assert.equal(bad.status, 401);
    assert.deepEqual(await bad.json(), { error: 'Invalid signature' });

    assert.equal((await post(undefined)).status, 401);
    assert.equal(events.length, 1);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
