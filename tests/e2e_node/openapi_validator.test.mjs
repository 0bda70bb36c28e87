// node --test e2e_node/  (from tests/)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

import { loadValidator } from './openapi_validator.mjs';

const OPENAPI = fileURLToPath(new URL('../../api/openapi.json', import.meta.url));
const ID = '0193a5f2-7c1e-7b3a-9d4f-2a6b8c0d1e2f';
const ONE = '/api/v1/challenges/{challenge_id}';

const validateResponse = await loadValidator(OPENAPI);

const created = () => ({
  challenge_id: ID,
  verification_url: `http://127.0.0.1:8080/challenge/start/${ID}`,
  status: 'initiated',
  expires_at: '2025-12-01T12:00:00Z',
});

// Only the fields the contract requires.
const status = (overrides = {}) => ({
  challenge_id: ID,
  status: 'initiated',
  created_at: '2025-12-01T10:00:00Z',
  expires_at: '2025-12-01T10:15:00Z',
  completed_at: null,
  is_expired: false,
  device_fingerprint: null,
  ...overrides,
});

function assertFails(result, pattern) {
  assert.equal(result.ok, false, 'expected validation to fail');
  assert.ok(result.errors.length > 0);
  if (pattern) assert.match(result.errors.join('\n'), pattern);
}

test('a valid 201 body passes', () => {
  const result = validateResponse('POST', '/api/v1/challenges', 201, created());
  assert.deepEqual(result, { ok: true, errors: [] });
});

test('a 201 body may carry extra fields', () => {
  assert.equal(validateResponse('POST', '/api/v1/challenges', 201, { ...created(), extra: 1 }).ok, true);
});

test('a 201 body missing expires_at fails', () => {
  const body = created();
  delete body.expires_at;
  assertFails(validateResponse('POST', '/api/v1/challenges', 201, body), /expires_at/);
});

test('a 201 body with a non-UTC or fractional timestamp fails', () => {
  for (const expires_at of ['2025-12-01T12:00:00+01:00', '2025-12-01T12:00:00.123Z', 'tomorrow']) {
    assertFails(validateResponse('POST', '/api/v1/challenges', 201, { ...created(), expires_at }));
  }
});

test('an error body with an extra field fails', () => {
  assertFails(
    validateResponse('POST', '/api/v1/challenges', 400, { error: 'bad', detail: 'more' }),
    /additional properties/,
  );
  assert.equal(validateResponse('POST', '/api/v1/challenges', 400, { error: 'bad' }).ok, true);
});

test('error bodies behind $ref responses are checked (404 on a templated path)', () => {
  assert.equal(validateResponse('GET', ONE, 404, { error: 'Challenge not found' }).ok, true);
  assertFails(validateResponse('GET', ONE, 404, { message: 'Challenge not found' }));
  assert.equal(validateResponse('GET', '/api/v1/challenges', 429, { error: 'slow down' }).ok, true);
});

test('a ChallengeStatus with status "bogus" fails', () => {
  assert.equal(validateResponse('GET', ONE, 200, status()).ok, true);
  assertFails(validateResponse('GET', ONE, 200, status({ status: 'bogus' })), /status/);
});

test('ChallengeStatus ties completed_at, failure_reason and is_expired to the status', () => {
  const done = { completed_at: '2025-12-01T10:05:00Z' };
  assert.equal(validateResponse('GET', ONE, 200, status({ status: 'verified', ...done })).ok, true);
  assertFails(validateResponse('GET', ONE, 200, status({ status: 'verified' })));
  assertFails(validateResponse('GET', ONE, 200, status({ status: 'failed', ...done, failure_reason: null })));
  assertFails(validateResponse('GET', ONE, 200, status({ failure_reason: 'canceled' })));
  assertFails(validateResponse('GET', ONE, 200, status({ status: 'expired', ...done, is_expired: false })));
  assert.equal(validateResponse('GET', ONE, 200, status({ status: 'expired', ...done, is_expired: true })).ok, true);
});

test('the list and cancel responses use ChallengeStatus', () => {
  const page = { challenges: [status()], next_cursor: null };
  assert.equal(validateResponse('GET', '/api/v1/challenges', 200, page).ok, true);
  assertFails(validateResponse('GET', '/api/v1/challenges', 200, { challenges: [status({ status: 'bogus' })], next_cursor: null }));
  assertFails(validateResponse('GET', '/api/v1/challenges', 200, { challenges: [] }), /next_cursor/);

  const canceled = status({ status: 'failed', failure_reason: 'canceled', completed_at: '2025-12-01T10:05:00Z' });
  assert.equal(validateResponse('POST', `${ONE}/cancel`, 200, canceled).ok, true);
  assertFails(validateResponse('POST', `${ONE}/cancel`, 200, { ...canceled, failure_reason: 'incident_reported' }));
  assert.equal(validateResponse('POST', `${ONE}/cancel`, 409, { error: 'Challenge has already finished' }).ok, true);
});

test('undocumented statuses and paths fail', () => {
  assertFails(validateResponse('GET', ONE, 418, { error: 'teapot' }), /not documented/);
  assertFails(validateResponse('GET', '/api/v1/nowhere', 200, {}), /no operation/);
});

test('callback payloads are checked against the webhook schema', () => {
  const { document } = validateResponse;
  for (const { value } of Object.values(
    document.webhooks.challengeCompleted.post.requestBody.content['application/json'].examples,
  )) {
    assert.deepEqual(validateResponse.validateWebhookPayload('challengeCompleted', value), { ok: true, errors: [] });
  }
  const example = document.webhooks.challengeCompleted.post.requestBody.content['application/json'].examples.completed.value;
  const { auth_method, ...missing } = example;
  assertFails(validateResponse.validateWebhookPayload('challengeCompleted', missing), /auth_method/);
  assertFails(validateResponse.validateWebhookPayload('challengeCompleted', { ...example, event_type: 'challenge.incident_reported' }));
});

// Redocly checks examples with extra properties allowed (see tests/redocly.yaml); check every
// example in the document here with Ajv's standard semantics as well.
test('every example in the document matches its schema', () => {
  const { document } = validateResponse;
  const mediaTypes = [];
  const visitContent = (tokens, content) => {
    for (const [type, media] of Object.entries(content ?? {})) mediaTypes.push({ tokens: [...tokens, 'content', type], media });
  };
  const visitOperation = (tokens, operation) => {
    if (operation.requestBody) visitContent([...tokens, 'requestBody'], operation.requestBody.content);
    for (const [code, response] of Object.entries(operation.responses ?? {})) {
      if (!response.$ref) visitContent([...tokens, 'responses', code], response.content);
    }
  };
  for (const [root, items] of [['paths', document.paths], ['webhooks', document.webhooks]]) {
    for (const [name, item] of Object.entries(items)) {
      for (const method of ['get', 'put', 'post', 'delete', 'patch']) {
        if (item[method]) visitOperation([root, name, method], item[method]);
      }
    }
  }
  for (const [name, response] of Object.entries(document.components.responses)) {
    visitContent(['components', 'responses', name], response.content);
  }

  let checked = 0;
  for (const { tokens, media } of mediaTypes) {
    for (const [exampleName, example] of Object.entries(media.examples ?? {})) {
      const result = validateResponse.validateAt([...tokens, 'schema'], example.value);
      assert.deepEqual(result, { ok: true, errors: [] }, `${tokens.join(' ')} example ${exampleName}`);
      checked += 1;
    }
  }
  assert.ok(checked >= 15, `only ${checked} examples found`);
});
