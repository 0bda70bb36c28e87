-- The Slack adapter: each Slack app of a tenant (an integrations row of kind 'slack'), the
-- workspaces or Enterprise Grid orgs it is installed in, Events API retry dedupe, OAuth install
-- states, where each challenge's Slack messages are, and the outbox of Slack updates written in
-- the transaction that ends a challenge (so no outcome is lost, as with callbacks).

-- Secrets are AES-256-GCM under the master key, bound to 'slack_app:<integration_id>:<field>'.
CREATE TABLE slack_apps (
    integration_id        uuid PRIMARY KEY REFERENCES integrations (id),
    tenant_id             uuid NOT NULL REFERENCES tenants (id),
    -- The manifest's URLs carry the tenant and this instance id.
    instance_id           text NOT NULL UNIQUE,
    app_id                text,
    signing_secret_sealed bytea,
    client_id             text,
    client_secret_sealed  bytea,
    token_rotation        boolean NOT NULL DEFAULT false,
    security_channel_id   text,
    created_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX slack_apps_by_tenant ON slack_apps (tenant_id, created_at);

-- One installation: a workspace (team_id) or an org-wide install (enterprise_id, team_id NULL).
-- Bot tokens (and refresh tokens with rotation) are sealed, bound to 'slack_installation:<id>:<field>'.
CREATE TABLE slack_installations (
    id                    uuid PRIMARY KEY,
    integration_id        uuid NOT NULL REFERENCES slack_apps (integration_id),
    tenant_id             uuid NOT NULL REFERENCES tenants (id),
    team_id               text,
    enterprise_id         text,
    is_enterprise_install boolean NOT NULL DEFAULT false,
    bot_user_id           text NOT NULL,
    bot_id                text,
    scopes                text NOT NULL DEFAULT '',
    bot_token_sealed      bytea NOT NULL,
    refresh_token_sealed  bytea,
    token_expires_at      timestamptz,
    installed_at          timestamptz NOT NULL,
    deactivated_at        timestamptz,
    CHECK (team_id IS NOT NULL OR (is_enterprise_install AND enterprise_id IS NOT NULL))
);
-- At most one live installation per app and workspace/org; reinstalls replace it.
CREATE UNIQUE INDEX slack_installations_live
    ON slack_installations (integration_id, coalesce(enterprise_id, ''), coalesce(team_id, ''))
    WHERE deactivated_at IS NULL;

-- Events API retries repeat the event_id: the first delivery is handled, the rest acknowledged.
CREATE TABLE slack_events_seen (
    event_id       text NOT NULL,
    integration_id uuid NOT NULL,
    received_at    timestamptz NOT NULL,
    PRIMARY KEY (integration_id, event_id)
);
CREATE INDEX slack_events_seen_by_time ON slack_events_seen (received_at);

-- "Add to Slack" state: single use, 10 minutes, valid only with the cookie of the browser that
-- started the install (both kept as SHA-256).
CREATE TABLE slack_oauth_states (
    state_hash     bytea PRIMARY KEY,
    integration_id uuid NOT NULL REFERENCES slack_apps (integration_id),
    browser_hash   bytea NOT NULL,
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz
);

-- Where a challenge's messages are, so its outcome can update them in place (chat.update).
CREATE TABLE slack_messages (
    challenge_id    uuid NOT NULL REFERENCES challenges (id),
    role            text NOT NULL CHECK (role IN ('target', 'requester', 'security')),
    installation_id uuid NOT NULL REFERENCES slack_installations (id),
    channel_id      text NOT NULL,
    ts              text NOT NULL,
    thread_ts       text,
    PRIMARY KEY (challenge_id, role)
);
