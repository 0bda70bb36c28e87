// Validates response bodies against api/openapi.json with Ajv (JSON Schema 2020-12, the
// dialect of OpenAPI 3.1) and ajv-formats.
//
// The whole OpenAPI document is added to Ajv as one schema with an `$id`; each response is
// then checked by compiling `{ $ref: "<id>#/paths/<escaped path>/<method>/responses/<status>/
// content/application~1json/schema" }`, so the `#/components/schemas/...` references inside
// resolve against the document itself.
//
//   const validateResponse = await loadValidator('../api/openapi.json');
//   const { ok, errors } = validateResponse('GET', '/api/v1/challenges/{challenge_id}', 200, body);
//
// The returned function also carries `validateWebhookPayload(name, body)`,
// `validateSchema(componentName, value)` and `document`.

import { readFile } from 'node:fs/promises';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const DOCUMENT_ID = 'https://challenge.invalid/api/openapi.json';
const JSON_MEDIA_TYPE = 'application/json';

// One JSON-pointer token (RFC 6901: `~` -> `~0`, `/` -> `~1`), then URI-fragment encoded
// (RFC 6901 section 6), so `{challenge_id}` travels as `%7Bchallenge_id%7D`.
function pointerToken(token) {
  return encodeURIComponent(String(token).replace(/~/g, '~0').replace(/\//g, '~1'));
}

function pointer(tokens) {
  return '#/' + tokens.map(pointerToken).join('/');
}

function unescapeToken(token) {
  return decodeURIComponent(token).replace(/~1/g, '/').replace(/~0/g, '~');
}

function lookUp(document, tokens) {
  let node = document;
  for (const token of tokens) {
    if (node === null || typeof node !== 'object' || !(token in node)) return undefined;
    node = node[token];
  }
  return node;
}

// Follows document-local `$ref`s of OpenAPI objects (a response that is
// `{"$ref": "#/components/responses/NotFound"}`), returning the object and its location.
function dereference(document, tokens) {
  let node = lookUp(document, tokens);
  for (let hops = 0; node && typeof node.$ref === 'string'; hops += 1) {
    if (hops > 20 || !node.$ref.startsWith('#/')) throw new Error(`cannot follow $ref ${node.$ref}`);
    tokens = node.$ref.slice(2).split('/').map(unescapeToken);
    node = lookUp(document, tokens);
  }
  return { node, tokens };
}

function formatErrors(errors) {
  return (errors ?? []).map((e) => {
    const where = e.instancePath === '' ? '(body)' : e.instancePath;
    const params = e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : '';
    return `${where} ${e.message}${params}`;
  });
}

export async function loadValidator(openapiPath) {
  const document = JSON.parse(await readFile(openapiPath, 'utf8'));

  // strict: false because the document is an OpenAPI document, not a bare schema: its
  // top-level keys (openapi, info, paths, ...) are not JSON Schema keywords.
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ ...document, $id: DOCUMENT_ID });

  const compiled = new Map();
  function validatorAt(tokens) {
    const ref = DOCUMENT_ID + pointer(tokens);
    let validate = compiled.get(ref);
    if (!validate) {
      validate = ajv.compile({ $ref: ref });
      compiled.set(ref, validate);
    }
    return validate;
  }

  function check(tokens, value) {
    const validate = validatorAt(tokens);
    const ok = validate(value);
    return { ok, errors: ok ? [] : formatErrors(validate.errors) };
  }

  // The schema for a documented response, or an explanation of why there is none.
  function responseSchemaTokens(operationTokens, status) {
    const operation = lookUp(document, operationTokens);
    if (!operation) return { problem: `no operation at ${pointer(operationTokens)}` };
    const responses = operation.responses ?? {};
    const code = String(status);
    const key = [code, `${code[0]}XX`, 'default'].find((k) => k in responses);
    if (key === undefined) return { problem: `status ${code} is not documented for ${pointer(operationTokens)}` };
    const { node: response, tokens } = dereference(document, [...operationTokens, 'responses', key]);
    if (!response) return { problem: `unresolvable response ${key}` };
    if (!response.content) return { tokens: null };
    if (!response.content[JSON_MEDIA_TYPE]?.schema)
      return { problem: `response ${key} has no ${JSON_MEDIA_TYPE} schema` };
    return { tokens: [...tokens, 'content', JSON_MEDIA_TYPE, 'schema'] };
  }

  function validateAgainstOperation(operationTokens, status, bodyJson) {
    const found = responseSchemaTokens(operationTokens, status);
    if (found.problem) return { ok: false, errors: [found.problem] };
    if (found.tokens === null) {
      const empty = bodyJson === undefined || bodyJson === null || bodyJson === '';
      return empty ? { ok: true, errors: [] } : { ok: false, errors: ['response documents no body'] };
    }
    return check(found.tokens, bodyJson);
  }

  function validateResponse(method, pathTemplate, status, bodyJson) {
    return validateAgainstOperation(['paths', pathTemplate, String(method).toLowerCase()], status, bodyJson);
  }

  // A callback body, against the request body schema of `webhooks.<name>.post`.
  function validateWebhookPayload(name, bodyJson) {
    const tokens = ['webhooks', name, 'post', 'requestBody', 'content', JSON_MEDIA_TYPE, 'schema'];
    if (!lookUp(document, tokens)) return { ok: false, errors: [`no webhook ${name}`] };
    return check(tokens, bodyJson);
  }

  // Any value against `#/components/schemas/<name>`.
  function validateSchema(name, value) {
    const tokens = ['components', 'schemas', name];
    if (!lookUp(document, tokens)) return { ok: false, errors: [`no schema ${name}`] };
    return check(tokens, value);
  }

  validateResponse.validateWebhookPayload = validateWebhookPayload;
  validateResponse.validateSchema = validateSchema;
  validateResponse.validateAt = (tokens, value) => check(tokens, value);
  validateResponse.document = document;
  return validateResponse;
}
