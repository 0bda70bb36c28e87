-- Noisy neighbours: lease fencing tokens, the endpoint each callback goes to, and the shared
-- circuit breaker that moves endpoints which time out to the slow lane.

-- Every claim increments the token and hands it to the claimer; results are written only with
-- the current token, so a worker that lost its lease (paused past it, rescued, re-claimed by
-- another instance) can never write.
ALTER TABLE webhook_deliveries ADD COLUMN lease_token bigint NOT NULL DEFAULT 0;
ALTER TABLE slack_jobs ADD COLUMN lease_token bigint NOT NULL DEFAULT 0;

-- The unit the per-endpoint bounds and the breaker count: scheme://host[:port], lower case,
-- default ports dropped. Computed here so every writer of the outbox gets it right.
ALTER TABLE webhook_deliveries ADD COLUMN endpoint text NOT NULL GENERATED ALWAYS AS (coalesce(
    regexp_replace(lower(substring(url FROM '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*')),
                   '^(https://.*):443$|^(http://.*):80$', '\1\2'),
    url)) STORED;

-- One row per endpoint that has timed out (healthy endpoints never get one). While slow_until
-- is in the future the endpoint is in the slow lane: its own small budget and shorter attempts.
-- Shared by every instance through PostgreSQL, so one instance's timeouts spare the others
-- (and the CLI sees the same state).
CREATE TABLE webhook_endpoints (
    endpoint             text PRIMARY KEY,
    consecutive_timeouts integer NOT NULL DEFAULT 0,
    slow_until           timestamptz,
    tripped_at           timestamptz,
    last_timeout_at      timestamptz,
    recovered_at         timestamptz  -- the success that last cleared its timeouts
);
CREATE INDEX webhook_endpoints_slow ON webhook_endpoints (slow_until) WHERE slow_until IS NOT NULL;
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint, state);
