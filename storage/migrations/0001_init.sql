-- Tenants, integrations, API keys, challenges, the audit trail, callback outbox and idempotency.
-- Times are timestamptz written by the application clock; ids are UUIDv7 minted by the app.

CREATE TABLE tenants (
    id                     uuid PRIMARY KEY,
    name                   text NOT NULL,
    default_expiry_minutes integer NOT NULL DEFAULT 15 CHECK (default_expiry_minutes BETWEEN 1 AND 10080),
    created_at             timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE integrations (
    id                    uuid PRIMARY KEY,
    tenant_id             uuid NOT NULL REFERENCES tenants (id),
    kind                  text NOT NULL CHECK (kind IN ('webhook', 'slack')),
    display_name          text NOT NULL,
    callback_url          text,
    -- AES-256-GCM under the master key, bound to 'integration:<id>:webhook_secret'.
    webhook_secret_sealed bytea,
    created_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX integrations_by_tenant ON integrations (tenant_id, created_at);

-- Only a SHA-256 of each key is kept; the prefix lets operators tell keys apart.
CREATE TABLE api_keys (
    key_hash       bytea PRIMARY KEY,
    key_prefix     text NOT NULL,
    integration_id uuid NOT NULL REFERENCES integrations (id),
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz
);
CREATE INDEX api_keys_by_integration ON api_keys (integration_id);

CREATE TABLE challenges (
    id                 uuid PRIMARY KEY,
    tenant_id          uuid NOT NULL REFERENCES tenants (id),
    integration_id     uuid NOT NULL REFERENCES integrations (id),
    origin             text NOT NULL CHECK (origin IN ('webhook_api', 'slack_command', 'slack_api', 'console', 'mcp')),
    status             text NOT NULL CHECK (status IN ('initiated', 'in-progress', 'verified', 'failed', 'expired')),
    failure_reason     text CHECK (failure_reason IN ('identity_mismatch', 'authentication_failed', 'incident_reported', 'canceled')),
    target_user_id     text,
    target_user_email  text,
    context            text,
    requester_id       text NOT NULL,
    callback_url       text,
    created_at         timestamptz NOT NULL,
    expires_at         timestamptz NOT NULL,
    started_at         timestamptz,
    completed_at       timestamptz,
    target_response    text,
    device_fingerprint jsonb,
    auth_method        text,
    CHECK ((status = 'failed') = (failure_reason IS NOT NULL)),
    CHECK ((status IN ('verified', 'failed', 'expired')) = (completed_at IS NOT NULL))
);
-- UUIDv7 ids sort by creation, so (tenant, id) serves newest-first keyset pages.
CREATE INDEX challenges_by_tenant ON challenges (tenant_id, id DESC);
CREATE INDEX challenges_by_tenant_status ON challenges (tenant_id, status, id DESC);
CREATE INDEX challenges_live_by_expiry ON challenges (expires_at) WHERE status IN ('initiated', 'in-progress');

-- Append-only: a trigger refuses UPDATE and DELETE, so history cannot be rewritten by the app.
CREATE TABLE audit_events (
    id            bigserial PRIMARY KEY,
    tenant_id     uuid NOT NULL,
    challenge_id  uuid,
    actor         text NOT NULL,
    action        text NOT NULL,
    status_before text,
    status_after  text,
    at            timestamptz NOT NULL
);
CREATE INDEX audit_events_by_challenge ON audit_events (challenge_id, id);

CREATE FUNCTION audit_events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_are_append_only();

-- The callback outbox: written in the transaction that ends a challenge; body bytes frozen.
CREATE TABLE webhook_deliveries (
    id              uuid PRIMARY KEY,
    event_id        text NOT NULL UNIQUE,  -- webhook-id, stable across retries and redeliveries
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    integration_id  uuid NOT NULL REFERENCES integrations (id),
    challenge_id    uuid NOT NULL REFERENCES challenges (id),
    event_type      text NOT NULL,
    url             text NOT NULL,
    body            text NOT NULL,
    state           text NOT NULL CHECK (state IN ('pending', 'in_flight', 'delivered', 'exhausted', 'gone')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    lease_until     timestamptz,
    leased_by       text,
    last_status     integer,
    last_error      text,
    -- 'manual' after an operator's redeliver, for the next attempt's log row only.
    next_trigger    text NOT NULL DEFAULT 'scheduled' CHECK (next_trigger IN ('scheduled', 'manual')),
    created_at      timestamptz NOT NULL,
    finished_at     timestamptz,
    UNIQUE (challenge_id, event_type)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_leased ON webhook_deliveries (lease_until) WHERE state = 'in_flight';
CREATE INDEX webhook_deliveries_by_tenant ON webhook_deliveries (tenant_id, created_at DESC);

CREATE TABLE webhook_attempts (
    delivery_id      uuid NOT NULL REFERENCES webhook_deliveries (id),
    attempt_no       integer NOT NULL,
    trigger          text NOT NULL CHECK (trigger IN ('scheduled', 'manual')),
    started_at       timestamptz NOT NULL,
    duration_ms      integer NOT NULL,
    status_code      integer,
    error_class      text,
    peer_address     text,
    response_snippet text,
    PRIMARY KEY (delivery_id, attempt_no)
);

CREATE TABLE idempotency_keys (
    tenant_id           uuid NOT NULL REFERENCES tenants (id),
    key                 text NOT NULL,
    request_fingerprint text NOT NULL,
    created_at          timestamptz NOT NULL,
    claimed_until       timestamptz NOT NULL,
    completed           boolean NOT NULL DEFAULT false,
    response_status     integer,
    response_body       text,
    PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
