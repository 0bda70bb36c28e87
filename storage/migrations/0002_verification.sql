-- The target's verification: each tenant's identity provider and page settings, the browser
-- flows that carry a login round trip, SAML replay protection, and what a login proved.

-- How targets prove who they are. 'none' (click-through) must be chosen explicitly.
CREATE TABLE tenant_verification_settings (
    tenant_id                  uuid PRIMARY KEY REFERENCES tenants (id),
    auth_mode                  text NOT NULL DEFAULT 'unconfigured'
                               CHECK (auth_mode IN ('unconfigured', 'oidc', 'saml', 'none')),
    oidc_issuer                text,
    oidc_client_id             text,
    -- AES-256-GCM under the master key, bound to 'tenant:<id>:oidc_client_secret'.
    oidc_client_secret_sealed  bytea,
    oidc_scopes                text NOT NULL DEFAULT 'openid email',
    oidc_identity_claim        text NOT NULL DEFAULT 'email',
    oidc_required_acr          text,
    saml_idp_metadata          text,
    additional_context_enabled boolean NOT NULL DEFAULT false,
    support_email              text,
    support_phone              text,
    support_slack_channel      text,
    support_portal_url         text,
    updated_at                 timestamptz NOT NULL DEFAULT now(),
    CHECK (auth_mode <> 'oidc' OR (oidc_issuer IS NOT NULL AND oidc_client_id IS NOT NULL)),
    CHECK (auth_mode <> 'saml' OR saml_idp_metadata IS NOT NULL)
);

-- The call-binding code is told to the requester at creation and shown to the target only
-- after a login proved them. A verified challenge carries its signed receipt.
ALTER TABLE challenges
    ADD COLUMN verification_code text,
    ADD COLUMN receipt           text,
    -- Set when a login proved the target; the challenge turns verified when the browser's device
    -- details arrive or a few seconds later without them.
    ADD COLUMN authenticated_at  timestamptz,
    ADD COLUMN login             jsonb;
CREATE INDEX challenges_awaiting_details ON challenges (authenticated_at)
    WHERE status = 'in-progress' AND authenticated_at IS NOT NULL;

-- One login round trip from one browser. The id travels as OIDC `state` / SAML RelayState; the
-- browser proves it is the same one with a cookie secret whose SHA-256 is kept here.
CREATE TABLE verification_flows (
    id               uuid PRIMARY KEY,
    challenge_id     uuid NOT NULL REFERENCES challenges (id),
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    browser_hash     bytea NOT NULL,
    method           text NOT NULL CHECK (method IN ('oidc', 'saml', 'none')),
    saml_request_id  text,
    target_response  text,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    consumed_at      timestamptz
);
CREATE INDEX verification_flows_by_challenge ON verification_flows (challenge_id);

-- SAML assertion ids already accepted, kept until the assertion would have expired anyway.
CREATE TABLE saml_seen_assertions (
    assertion_id text PRIMARY KEY,
    tenant_id    uuid NOT NULL,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX saml_seen_assertions_by_expiry ON saml_seen_assertions (expires_at);
