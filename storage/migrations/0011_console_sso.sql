-- Console sign-in by each tenant's own OIDC client (issue 10 §2), separate from the client its
-- targets verify with; and the short-lived state of a sign-in between the redirect to the
-- identity provider and its answer.

-- The secret is sealed with the master key (bound to the tenant); only a keyed fingerprint of it
-- is ever shown back.
CREATE TABLE console_sso_settings (
    tenant_id                 uuid PRIMARY KEY REFERENCES tenants (id),
    issuer                    text NOT NULL,
    client_id                 text NOT NULL,
    client_secret_sealed      bytea NOT NULL,
    client_secret_fingerprint text NOT NULL,
    just_in_time_viewers      boolean NOT NULL DEFAULT false,
    updated_by                text NOT NULL,
    updated_at                timestamptz NOT NULL
);

-- One row per sign-in started: its id is the OAuth `state`, and it only counts in the browser
-- whose login cookie hashes to browser_hash. Spent (used_at) by the first answer, whatever it
-- is; the nonce and PKCE verifier are HMACs of the cookie's secret, so neither is stored.
CREATE TABLE console_login_flows (
    id                   uuid PRIMARY KEY,
    browser_hash         bytea NOT NULL,
    tenant_id            uuid NOT NULL REFERENCES tenants (id),
    issuer               text NOT NULL,
    client_id            text NOT NULL,
    purpose              text NOT NULL CHECK (purpose IN ('sign_in', 'step_up')),
    step_up_user_id      uuid,
    step_up_session_hash bytea,
    return_to            text NOT NULL,
    created_at           timestamptz NOT NULL,
    expires_at           timestamptz NOT NULL,
    used_at              timestamptz
);
CREATE INDEX console_login_flows_by_expiry ON console_login_flows (expires_at);
