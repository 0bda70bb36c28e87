-- The admin console (issue 10): the people a tenant trusts, their roles, how they sign in, their
-- server-side sessions and the single-use setup links an operator prints; and the audit log's
-- admin-action columns.

-- A person, across tenants. Email is how an operator names them and how a first SSO sign-in
-- links them; it is never what a sign-in is bound to (console_identities is).
CREATE TABLE console_users (
    id           uuid PRIMARY KEY,
    email        text NOT NULL,
    display_name text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL
);
CREATE UNIQUE INDEX console_users_by_email ON console_users (lower(email));

-- One role per person per tenant. Suspension keeps the row (and the audit attribution).
CREATE TABLE memberships (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    user_id    uuid NOT NULL REFERENCES console_users (id),
    role       text NOT NULL CHECK (role IN ('owner', 'admin', 'analyst', 'viewer')),
    status     text NOT NULL CHECK (status IN ('active', 'suspended')),
    created_by text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

-- Console sign-ins are bound by (issuer, subject) per tenant, never by email alone.
CREATE TABLE console_identities (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    issuer     text NOT NULL,
    subject    text NOT NULL,
    user_id    uuid NOT NULL REFERENCES console_users (id),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, issuer, subject)
);
CREATE INDEX console_identities_by_user ON console_identities (user_id);

-- Server-side sessions. Only a SHA-256 of the cookie's 256-bit token is kept; `id` names the
-- session on "your sessions" pages without revealing anything usable.
CREATE TABLE console_sessions (
    token_hash   bytea PRIMARY KEY,
    id           uuid NOT NULL UNIQUE,
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    user_id      uuid NOT NULL REFERENCES console_users (id),
    auth_method  text NOT NULL CHECK (auth_method IN ('setup_link', 'oidc', 'slack')),
    auth_time    timestamptz NOT NULL,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    client_ip    text,
    user_agent   text,
    ended_at     timestamptz,
    end_reason   text
);
CREATE INDEX console_sessions_live_by_member ON console_sessions (tenant_id, user_id) WHERE ended_at IS NULL;

-- Single-use links an operator prints (`challenge console setup-link` / `recover`): a hash of a
-- 256-bit token, valid 24 h, consumed by the POST that redeems it (a GET only shows the page,
-- so a link scanner spends nothing).
CREATE TABLE console_setup_links (
    token_hash bytea PRIMARY KEY,
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    email      text NOT NULL,
    role       text NOT NULL CHECK (role IN ('owner', 'admin', 'analyst', 'viewer')),
    purpose    text NOT NULL CHECK (purpose IN ('setup', 'recover')),
    created_by text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);

-- Admin actions in the same append-only log as challenge events: on what, with what outcome,
-- from where, and a redacted before/after (secrets only ever as "changed (fingerprint)").
ALTER TABLE audit_events
    ADD COLUMN target_type text,
    ADD COLUMN target_id   text,
    ADD COLUMN outcome     text NOT NULL DEFAULT 'success',
    ADD COLUMN client_ip   text,
    ADD COLUMN user_agent  text,
    ADD COLUMN request_id  text,
    ADD COLUMN detail      jsonb;
-- NOT VALID: every existing row has the default, so checking millions of them at upgrade
-- would only hold the table's lock longer.
ALTER TABLE audit_events ADD CONSTRAINT audit_events_outcome CHECK (outcome IN ('success', 'denied', 'failed')) NOT VALID;
CREATE INDEX audit_events_by_tenant ON audit_events (tenant_id, id DESC);
