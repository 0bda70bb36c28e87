// A SAML 2.0 identity provider for the browser tests, on 127.0.0.1 (port 0 by default).
//
//   node idp/saml_idp.mjs [--port N]
//
// Prints one JSON line when ready: {"entity_id", "metadata_url", "metadata_xml", "admin_url"}.
// GET /sso takes an HTTP-Redirect AuthnRequest (deflated, base64, with RelayState) and shows a
// login form (input[name=email], button#login); POST /login answers the service provider with
// an HTTP-POST Response whose Assertion is signed (RSA-SHA256, exclusive C14N, xml-crypto) by the
// key in the metadata, carrying InResponseTo, Recipient, Audience, NotOnOrAfter and AuthnInstant.
// POST /__admin/next-response {"mode": ...} spoils only the next Response:
//   tamper_signature  the NameID is changed after signing
//   wrong_audience    the AudienceRestriction names another service provider
//   expired           every NotOnOrAfter is in the past
//   unsigned          no signature at all
//   stale_login       AuthnInstant an hour ago (the IdP reused an old session)
// GET /__admin/requests lists the AuthnRequests received (id, force_authn, acs_url, issuer).
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { DOMParser } from '@xmldom/xmldom';
import { idpMetadataXml, signSamlElement } from './saml_sign.mjs';

const portArg = process.argv.indexOf('--port');
const listenPort = portArg > 0 ? Number(process.argv[portArg + 1]) : 0;

// A throwaway RSA key and self-signed certificate, made by the openssl command line.
const dir = mkdtempSync(path.join(os.tmpdir(), 'saml-idp-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=saml-idp-test',
  '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
const privateKey = readFileSync(path.join(dir, 'key.pem'), 'utf8');
const certificatePem = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
const certificateBase64 = certificatePem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');

const requests = [];
let nextMode = null;
let base = '';

const escapeXml = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const isoSeconds = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function metadataXml() {
  return idpMetadataXml({ entityId: `${base}/metadata`, certificateBase64, ssoUrl: `${base}/sso` });
}
function parseAuthnRequest(encoded) {
  const xml = zlib.inflateRawSync(Buffer.from(encoded, 'base64')).toString('utf8');
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const root = doc.documentElement;
  const issuer = doc.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:assertion', 'Issuer')[0];
  return {
    id: root.getAttribute('ID'),
    force_authn: root.getAttribute('ForceAuthn'),
    acs_url: root.getAttribute('AssertionConsumerServiceURL'),
    issuer: issuer ? issuer.textContent : '',
  };
}

function responseXml(request, email, mode) {
  const now = Date.now();
  const later = isoSeconds(mode === 'expired' ? now - 10 * 60 * 1000 : now + 5 * 60 * 1000);
  const notBefore = isoSeconds(mode === 'expired' ? now - 20 * 60 * 1000 : now - 60 * 1000);
  const authnInstant = isoSeconds(mode === 'stale_login' ? now - 60 * 60 * 1000 : now);
  const audience = mode === 'wrong_audience' ? 'https://someone-else.example.com/saml' : request.issuer;
  const assertionId = `_a${randomUUID().replace(/-/g, '')}`;
  const responseId = `_r${randomUUID().replace(/-/g, '')}`;
  const issuer = `<saml:Issuer>${escapeXml(`${base}/metadata`)}</saml:Issuer>`;
  const assertion = `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${assertionId}" Version="2.0" IssueInstant="${isoSeconds(now)}">${issuer}`
    + `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${escapeXml(email)}</saml:NameID>`
    + `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="${escapeXml(request.id)}" NotOnOrAfter="${later}" Recipient="${escapeXml(request.acs_url)}"/></saml:SubjectConfirmation></saml:Subject>`
    + `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${later}"><saml:AudienceRestriction><saml:Audience>${escapeXml(audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>`
    + `<saml:AuthnStatement AuthnInstant="${authnInstant}" SessionIndex="${assertionId}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`
    + `</saml:Assertion>`;
  let signedAssertion = assertion;
  if (mode !== 'unsigned') {
    signedAssertion = signSamlElement(assertion, { privateKey, certificatePem, id: assertionId, element: 'Assertion' });
  }
  if (mode === 'tamper_signature') signedAssertion = signedAssertion.replace(`>${escapeXml(email)}<`, '>mallory@example.com<');
  return `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${responseId}" Version="2.0" IssueInstant="${isoSeconds(now)}" Destination="${escapeXml(request.acs_url)}" InResponseTo="${escapeXml(request.id)}">`
    + issuer
    + `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>`
    + signedAssertion
    + `</samlp:Response>`;
}

function page(body) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Test IdP</title></head><body>${body}</body></html>`;
}

async function readBody(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body;
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, base);
    if (req.method === 'GET' && url.pathname === '/metadata') {
      res.writeHead(200, { 'Content-Type': 'application/samlmetadata+xml' });
      return res.end(metadataXml());
    }
    if (req.method === 'GET' && url.pathname === '/sso') {
      const request = parseAuthnRequest(url.searchParams.get('SAMLRequest'));
      requests.push(request);
      const relay = url.searchParams.get('RelayState') ?? '';
      res.writeHead(200, { 'Content-Type': 'text/html' });
      return res.end(page(`<h1>Test IdP sign-in</h1><form method="post" action="/login">`
        + `<input type="hidden" name="request" value="${escapeXml(Buffer.from(JSON.stringify(request)).toString('base64'))}">`
        + `<input type="hidden" name="relay" value="${escapeXml(relay)}">`
        + `<label>Email <input name="email"></label><button id="login" type="submit">Sign in</button></form>`));
    }
    if (req.method === 'POST' && url.pathname === '/login') {
      const form = new URLSearchParams(await readBody(req));
      const request = JSON.parse(Buffer.from(form.get('request'), 'base64').toString('utf8'));
      const mode = nextMode;
      nextMode = null;
      const response = Buffer.from(responseXml(request, form.get('email'), mode)).toString('base64');
      res.writeHead(200, { 'Content-Type': 'text/html' });
      // The HTTP-POST binding: a form the browser posts to the ACS (submitted by script).
      return res.end(page(`<form id="saml" method="post" action="${escapeXml(request.acs_url)}">`
        + `<input type="hidden" name="SAMLResponse" value="${response}">`
        + `<input type="hidden" name="RelayState" value="${escapeXml(form.get('relay') ?? '')}">`
        + `<noscript><button type="submit">Continue</button></noscript></form>`
        + `<script>document.getElementById('saml').submit();</script>`));
    }
    if (req.method === 'POST' && url.pathname === '/__admin/next-response') {
      const { mode } = JSON.parse(await readBody(req));
      const known = ['tamper_signature', 'wrong_audience', 'expired', 'unsigned', 'stale_login', null];
      if (!known.includes(mode)) {
        res.writeHead(400, { 'Content-Type': 'application/json' });
        return res.end(JSON.stringify({ error: `unknown mode ${mode}` }));
      }
      nextMode = mode;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify({ mode }));
    }
    if (req.method === 'GET' && url.pathname === '/__admin/requests') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify({ requests }));
    }
    res.writeHead(404);
    res.end();
  } catch (e) {
    res.writeHead(500, { 'Content-Type': 'text/plain' });
    res.end(String(e?.stack ?? e));
  }
});

server.listen(listenPort, '127.0.0.1', () => {
  base = `http://127.0.0.1:${server.address().port}`;
  process.stdout.write(`${JSON.stringify({
    entity_id: `${base}/metadata`, metadata_url: `${base}/metadata`, metadata_xml: metadataXml(), admin_url: `${base}/__admin`,
  })}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
