// Writes the SAML fuzz target's IdP and seeds: fuzz/saml/idp_metadata.xml (embedded in the
// harness) and fuzz/corpus/saml_response/*, Responses to the harness's SP signed by a fresh key
// whose certificate the metadata carries (valid for a century, so the seeds keep verifying; the
// private key is thrown away). Run it again only to replace every seed at once:
//   (cd tests && npm ci) && node fuzz/saml/make_seeds.mjs
// Each seed is "<InResponseTo>\n<Unix seconds of now>\n<base64 SAMLResponse>".
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { idpMetadataXml, signSamlElement } from '../../tests/idp/saml_sign.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

const idpEntity = 'https://idp.example.test/metadata';
const sp = { entity: 'https://challenge.example.test/saml/metadata', acs: 'https://challenge.example.test/saml/acs' };
const issued = 1767225600;  // 2026-01-01T00:00:00Z; every seed's "now" is shortly after
const at = (offset) => new Date((issued + offset) * 1000).toISOString().replace('.000Z', 'Z');

const scratch = mkdtempSync(path.join(os.tmpdir(), 'fuzz-saml-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '36500', '-subj', '/CN=fuzz-idp',
  '-keyout', path.join(scratch, 'key.pem'), '-out', path.join(scratch, 'cert.pem')], { stdio: 'ignore' });
const key = readFileSync(path.join(scratch, 'key.pem'), 'utf8');
const cert = readFileSync(path.join(scratch, 'cert.pem'), 'utf8');
rmSync(scratch, { recursive: true });
const certBody = cert.split('\n').filter((line) => line && !line.startsWith('-----')).join('');

// <name attr="v"...>children</name>, attribute values and text escaped.
const escape = (text) => String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
function el(name, attrs = {}, ...children) {
  const attributes = Object.entries(attrs).map(([k, v]) => ` ${k}="${escape(v)}"`).join('');
  return `<${name}${attributes}>${children.join('')}</${name}>`;
}
const text = escape;

function sign(xml, id, element) {
  return signSamlElement(xml, { privateKey: key, certificatePem: cert, id, element });
}

const saml = { 'xmlns:saml': 'urn:oasis:names:tc:SAML:2.0:assertion' };
function assertion(o) {
  const id = o.assertionId;
  const attributes = o.attributes
    ? el('saml:AttributeStatement', {},
      ...Object.entries(o.attributes).map(([name, values]) => el('saml:Attribute', { Name: name },
        ...values.map((v) => el('saml:AttributeValue', {}, text(v))))))
    : '';
  const xml = el('saml:Assertion', { ...saml, ID: id, Version: '2.0', IssueInstant: at(0) },
    el('saml:Issuer', {}, text(o.issuer ?? idpEntity)),
    el('saml:Subject', {},
      el('saml:NameID', { Format: o.nameIdFormat ?? 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' }, text(o.nameId ?? 'alice@example.com')),
      el('saml:SubjectConfirmation', { Method: 'urn:oasis:names:tc:SAML:2.0:cm:bearer' },
        el('saml:SubjectConfirmationData', { InResponseTo: o.requestId, NotOnOrAfter: at(300), Recipient: sp.acs }))),
    el('saml:Conditions', { NotBefore: at(-60), NotOnOrAfter: at(300) },
      el('saml:AudienceRestriction', {}, el('saml:Audience', {}, text(o.audience ?? sp.entity)))),
    el('saml:AuthnStatement', { AuthnInstant: at(-10), SessionIndex: id },
      el('saml:AuthnContext', {}, el('saml:AuthnContextClassRef', {}, 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport'))),
    attributes);
  return o.signAssertion === false ? xml : sign(xml, id, 'Assertion');
}

function response(o) {
  const id = `_response_${o.name}`;
  const status = o.status ?? 'urn:oasis:names:tc:SAML:2.0:status:Success';
  const assertions = o.assertions ?? [assertion({ ...o, assertionId: `_assertion_${o.name}` })];
  const xml = el('samlp:Response',
    { 'xmlns:samlp': 'urn:oasis:names:tc:SAML:2.0:protocol', ...saml, ID: id, Version: '2.0', IssueInstant: at(0), Destination: sp.acs, InResponseTo: o.requestId },
    el('saml:Issuer', {}, idpEntity),
    el('samlp:Status', {}, el('samlp:StatusCode', { Value: status })),
    ...(status.endsWith(':Success') ? assertions : []));
  return o.signResponse ? sign(xml, id, 'Response') : xml;
}

const seeds = {
  signed_assertion: {},
  signed_response_and_assertion: { signResponse: true },
  signed_response_only: { signResponse: true, signAssertion: false },
  unsigned: { signAssertion: false },
  with_attributes: { attributes: { displayName: ['Alice Example'], groups: ['admins', 'staff'] } },
  wrong_audience: { audience: 'https://someone-else.example.com/saml' },
  other_issuer: { issuer: 'https://attacker.example.test/metadata' },
  unspecified_name_id: { nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified', nameId: 'alice' },
  authn_failed: { status: 'urn:oasis:names:tc:SAML:2.0:status:Requester' },
};
const corpus = path.join(here, '../corpus/saml_response');
rmSync(corpus, { recursive: true, force: true });
mkdirSync(corpus, { recursive: true });
const write = (name, requestId, xml, now = issued + 30) =>
  writeFileSync(path.join(corpus, name), `${requestId}\n${now}\n${Buffer.from(xml).toString('base64')}`);
for (const [name, o] of Object.entries(seeds)) {
  const requestId = `_request_${name}`;
  write(name, requestId, response({ ...o, name, requestId }));
}
// Wrapping: the signed assertion and an unsigned one of the attacker's, in both orders.
const genuine = assertion({ requestId: '_request_wrapped', assertionId: '_assertion_genuine' });
const forged = assertion({ requestId: '_request_wrapped', assertionId: '_assertion_forged', nameId: 'mallory@example.com', signAssertion: false });
write('wrapped_forged_first', '_request_wrapped', response({ name: 'wrapped1', requestId: '_request_wrapped', assertions: [forged, genuine] }));
write('wrapped_forged_last', '_request_wrapped', response({ name: 'wrapped2', requestId: '_request_wrapped', assertions: [genuine, forged] }));
// A comment inside the signed NameID leaves the signature valid (c14n drops comments).
const commented = assertion({ requestId: '_request_comment', assertionId: '_assertion_comment' })
  .replace('>alice@example.com<', '>alice@example.com<!---->.attacker.test<');
write('comment_in_name_id', '_request_comment', response({ name: 'comment', requestId: '_request_comment', assertions: [commented] }));
const onTime = readFileSync(path.join(corpus, 'signed_assertion'), 'utf8').split('\n')[2];
write('expired', '_request_signed_assertion', Buffer.from(onTime, 'base64').toString(), issued + 3600);

writeFileSync(path.join(here, 'idp_metadata.xml'),
  idpMetadataXml({ entityId: idpEntity, certificateBase64: certBody, ssoUrl: 'https://idp.example.test/sso' }));
console.log(`wrote ${Object.keys(seeds).length + 4} seeds to ${corpus} and ${path.join(here, 'idp_metadata.xml')}`);
