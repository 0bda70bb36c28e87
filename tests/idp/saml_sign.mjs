// A test SAML IdP's metadata and its enveloped XML signatures as SAML IdPs make them: RSA-SHA256
// over exclusive C14N (xml-crypto), the certificate in KeyInfo, the Signature placed after the
// element's Issuer. Shared by the browser tests' IdP (saml_idp.mjs) and the SAML fuzz seeds
// (fuzz/saml/make_seeds.mjs).
import { SignedXml } from 'xml-crypto';

// Signs the element of `xml` whose ID is `id`; `element` is its local name (Assertion, Response).
export function signSamlElement(xml, { privateKey, certificatePem, id, element }) {
  const signer = new SignedXml({
    privateKey,
    publicCert: certificatePem,
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  });
  signer.addReference({
    xpath: `//*[@ID='${id}']`,
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
  });
  signer.computeSignature(xml, {
    location: { reference: `//*[local-name()='${element}']/*[local-name()='Issuer']`, action: 'after' },
  });
  return signer.getSignedXml();
}

// The IdP's EntityDescriptor: one signing certificate (base64 DER), emailAddress NameIDs, and an
// HTTP-Redirect sign-in URL.
export function idpMetadataXml({ entityId, certificateBase64, ssoUrl }) {
  return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entityId}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certificateBase64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${ssoUrl}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
`;
}
