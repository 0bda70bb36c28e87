-- What the security review of the verification asked for: who a login may prove and how
-- (email_verified, SAML NameID format or attribute, a required AuthnContextClassRef), flows that
-- remember which provider they started with and which browser may answer at the SAML ACS, and
-- SAML replay memory keyed by the issuer as well as the assertion id.

ALTER TABLE tenant_verification_settings
    -- An `email` claim without `email_verified`: refused unless the tenant says its IdP only
    -- ever asserts addresses it verified ('accept').
    ADD COLUMN oidc_email_verified_absent text NOT NULL DEFAULT 'refuse'
        CHECK (oidc_email_verified_absent IN ('refuse', 'accept')),
    -- The SAML attribute that carries the target's identity; NULL: the NameID, and only when
    -- its Format is emailAddress.
    ADD COLUMN saml_identity_attribute text,
    -- An AuthnContextClassRef every SAML login must carry (e.g. an MFA class); NULL: any.
    ADD COLUMN saml_required_authn_context text;

ALTER TABLE verification_flows
    -- The provider and client the browser was sent to: the answer must come from the same ones.
    ADD COLUMN oidc_issuer text,
    ADD COLUMN oidc_client_id text,
    -- SHA-256 of the SameSite=None cookie the SAML ACS must see before it parks an answer.
    ADD COLUMN acs_binding_hash bytea;

-- Assertion ids are unique per issuer, not across issuers: two IdPs may pick the same id.
ALTER TABLE saml_seen_assertions ADD COLUMN issuer text NOT NULL DEFAULT '';
ALTER TABLE saml_seen_assertions DROP CONSTRAINT saml_seen_assertions_pkey;
ALTER TABLE saml_seen_assertions ADD PRIMARY KEY (issuer, assertion_id);
ALTER TABLE saml_seen_assertions ALTER COLUMN issuer DROP DEFAULT;
