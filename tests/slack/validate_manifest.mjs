// Validates the Slack app manifests we produce against Slack's official JSON Schema
// (slackapi/manifest-schema, vendored in tests/slack/manifest-schema) and checks that the
// checked-in manifests/challenge.manifest.json is the generated template. When python3 has
// PyYAML (a YAML 1.1 reader, the stricter one), the YAML output is read back and must equal
// the JSON; without it that part is skipped with a note (no npm YAML dependency on purpose).
// Usage: node slack/validate_manifest.mjs <path to slack_manifest_sample>
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const sample = process.argv[2];
if (!sample) {
  console.error('usage: node slack/validate_manifest.mjs <slack_manifest_sample>');
  process.exit(64);
}

const schemaDir = new URL('./manifest-schema/', import.meta.url);
const loadJson = (url) => JSON.parse(readFileSync(url, 'utf8'));
// The top-level schema refers to the versioned ones by these absolute URLs.
const versioned = 'https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/';
// strict: false because Slack's schema carries non-standard keywords ("regex", "_note").
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
for (const name of ['manifest.schema.1.0.0.json', 'manifest.schema.2.0.0.json']) {
  ajv.addSchema(loadJson(new URL(`schemas/${name}`, schemaDir)), versioned + name);
}
const validate = ajv.compile(loadJson(new URL('manifest.schema.json', schemaDir)));

function run(args, input) {
  const r = spawnSync(sample, args, { encoding: 'utf8', input });
  if (r.error) throw r.error;
  return r;
}

function generate(format, args) {
  const r = run([format, ...args]);
  assert.equal(r.status, 0, `slack_manifest_sample ${format} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function assertValid(manifest, label) {
  if (!validate(manifest)) {
    throw new Error(`${label}: not a valid Slack manifest:\n${JSON.stringify(validate.errors, null, 2)}`);
  }
}

// --- YAML read-back through PyYAML, when present ----------------------------------------------
const pyyaml = (() => {
  const probe = spawnSync('python3', ['-c', 'import yaml'], { encoding: 'utf8' });
  return !probe.error && probe.status === 0;
})();
function readYaml(text) {
  const r = spawnSync(
    'python3',
    ['-c', 'import sys, json, yaml; json.dump(yaml.safe_load(sys.stdin.buffer.read().decode("utf-8")), sys.stdout)'],
    { encoding: 'utf8', input: text },
  );
  assert.equal(r.status, 0, `PyYAML could not read:\n${text}\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

let checked = 0;
function checkManifest(label, args, expect) {
  const json = generate('json', args);
  const manifest = JSON.parse(json);
  assertValid(manifest, label);
  expect?.(manifest);
  if (pyyaml) assert.deepStrictEqual(readYaml(generate('yaml', args)), manifest, `${label}: YAML differs from JSON`);
  checked += 1;
  return json;
}

// The validator itself must refuse what Slack refuses, or passing means nothing.
{
  const base = JSON.parse(generate('json', ['--template']));
  const broken = structuredClone(base);
  broken.features.shortcuts[0].name = 'A shortcut name longer than 24';
  assert.equal(validate(broken), false, 'schema accepted a 30-character shortcut name');
  const noName = structuredClone(base);
  delete noName.display_information.name;
  assert.equal(validate(noName), false, 'schema accepted a manifest without a name');
  const badUrl = structuredClone(base);
  badUrl.settings.event_subscriptions.request_url = 'ftp://example.com/x';
  assert.equal(validate(badUrl), false, 'schema accepted an ftp request URL');
  assertValid(loadJson(new URL('example-manifest.valid.json', schemaDir)), "the schema repository's own example");
}

// The checked-in template is exactly the generated one.
{
  const generated = checkManifest('template', ['--template']);
  const checkedIn = readFileSync(new URL('../../manifests/challenge.manifest.json', import.meta.url), 'utf8');
  assert.equal(
    checkedIn,
    generated,
    'manifests/challenge.manifest.json is stale: regenerate it with `slack_manifest_sample json --template`',
  );
}

const tenant = '0190f1a2-7c3b-7d4e-8f5a-1b2c3d4e5f60';
const allUrls = (m) => [
  m.features.slash_commands[0].url,
  m.settings.event_subscriptions.request_url,
  m.settings.interactivity.request_url,
  m.settings.interactivity.message_menu_options_url,
];

checkManifest('a tenant, rotation off', ['https://challenge.example.com', tenant, 'primary'], (m) => {
  for (const url of allUrls(m)) assert.equal(url, `https://challenge.example.com/slack/${tenant}/primary/events`);
  assert.deepEqual(m.oauth_config.redirect_urls, ['https://challenge.example.com/slack/oauth_redirect']);
  assert.equal(m.settings.token_rotation_enabled, false);
  assert.equal(m.settings.org_deploy_enabled, false);
});
checkManifest('another tenant, rotation on, org deploy, base with a path', [
  'https://sso.example.org/tools/challenge/', '0190f1a2-0000-7000-8000-000000000001', 'eu-2', '--token-rotation', '--org-deploy',
], (m) => {
  for (const url of allUrls(m)) {
    assert.equal(url, 'https://sso.example.org/tools/challenge/slack/0190f1a2-0000-7000-8000-000000000001/eu-2/events');
  }
  assert.equal(m.settings.token_rotation_enabled, true);
  assert.equal(m.settings.org_deploy_enabled, true);
});
checkManifest('plain http on loopback with a port', ['http://127.0.0.1:8080', tenant, 'dev']);
checkManifest('ids that need percent-encoding', ['https://challenge.example.com', 'acme corp/ü', 'a?b#c'], (m) => {
  assert.equal(m.settings.event_subscriptions.request_url, 'https://challenge.example.com/slack/acme%20corp%2F%C3%BC/a%3Fb%23c/events');
});

// Long URLs: Slack allows 2500 characters for a redirect URL and 3000 for the slash command URL
// (the strictest of the request URLs); the longest accepted of each is valid, one more is refused.
const origin = 'https://challenge.example.com/';
const baseFor = (redirectLength) => origin + 'p'.repeat(redirectLength - '/slack/oauth_redirect'.length - origin.length);
checkManifest('a base URL that makes a 2500-character redirect URL', [baseFor(2500), tenant, 'primary'], (m) => {
  assert.equal(m.oauth_config.redirect_urls[0].length, 2500);
});
const instanceFor = (urlLength) => 'i'.repeat(urlLength - `https://challenge.example.com/slack/${tenant}//events`.length);
checkManifest('an instance id that makes a 3000-character request URL', ['https://challenge.example.com', tenant, instanceFor(3000)], (m) => {
  for (const url of allUrls(m)) assert.equal(url.length, 3000);
});
for (const [label, args] of [
  ['a 2501-character redirect URL', [baseFor(2501), tenant, 'primary']],
  ['a 3001-character request URL', ['https://challenge.example.com', tenant, instanceFor(3001)]],
  ['an ftp base URL', ['ftp://challenge.example.com', tenant, 'primary']],
  ['user-info in the base URL', ['https://user:secret@challenge.example.com', tenant, 'primary']],
  ['a query in the base URL', ['https://challenge.example.com/?a=b', tenant, 'primary']],
  ['a relative base URL', ['challenge.example.com', tenant, 'primary']],
  ['an empty tenant id', ['https://challenge.example.com', '', 'primary']],
  ['an empty instance id', ['https://challenge.example.com', tenant, '']],
]) {
  for (const format of ['json', 'yaml']) {
    const r = run([format, ...args]);
    assert.equal(r.status, 2, `${label} (${format}): expected exit 2, got ${r.status}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, '', `${label} (${format}): printed a manifest anyway`);
  }
}

// The YAML emitter on values no manifest has yet: everything a YAML reader could misread.
if (pyyaml) {
  const tricky = {
    words: ['yes', 'No', 'ON', 'off', 'y', 'n', 'true', 'False', 'null', '~', 'Null'],
    numbers: ['123', '-1', '1e3', '0x1F', '0o17', '1_000', '12:30:00', '.5', '.inf', '.NaN', '2024-01-01'],
    syntax: ['', ' lead', 'trail ', 'a: b', 'a:', 'a #b', '#c', '- x', '? x', '[x]', '{x}', '&a', '*a', '!t',
      '|', '>', "'q'", '"q"', '%x', '@x', '`x`', 'a,b', 'multi\nline', 'tab\there', 'back\\slash', 'https://x.test/a?b=c#d'],
    unicode: ['é ü 日本', 'line\u2028sep', 'para\u2029sep', 'nel\u0085x', 'c1\u009fx', 'del\u007fx', 'nul\u0000x', 'bell\u0007', '😀'],
    'key: with colon': 1,
    'yes': false,
    '': 'empty key',
    nested: [[1, [2, []]], { a: {}, b: [{ c: null }] }, [], {}],
    numbers_real: [0, -7, 1.5, 3.25e-7, 1e300, -2e21, 9007199254740991],
  };
  const r = run(['yaml-from-json'], JSON.stringify(tricky));
  assert.equal(r.status, 0, r.stderr);
  assert.deepStrictEqual(readYaml(r.stdout), tricky, `YAML emitter round trip:\n${r.stdout}`);
  console.log(`validated ${checked} manifests against Slack's schema; YAML read back with PyYAML`);
} else {
  console.log(`validated ${checked} manifests against Slack's schema; SKIPPED the YAML read-back (python3 without PyYAML)`);
}
