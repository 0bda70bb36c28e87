-- Slack hardening (issue 9): only workspaces and orgs the tenant allowed can install its Slack
-- apps; reads from Slack are scoped to the installation (workspace or org) a challenge went
-- through, not just to its tenant; the "Add to Slack" state is no longer stored at the start.

-- The workspaces (team ids) and Enterprise Grid orgs (enterprise ids) allowed to install each
-- Slack app. An allowed org admits its org-wide install and its workspaces (core/slack_allowlist).
-- added_by says who: 'operator' (the CLI), 'set-credentials' (an operator's bot token),
-- 'migration 0009', later 'admin:<id>' (the console).
CREATE TABLE slack_install_allowlist (
    integration_id uuid NOT NULL REFERENCES slack_apps (integration_id),
    kind           text NOT NULL CHECK (kind IN ('workspace', 'org')),
    slack_id       text NOT NULL,
    added_by       text NOT NULL,
    added_at       timestamptz NOT NULL,
    PRIMARY KEY (integration_id, kind, slack_id)
);

-- Running tenants keep working: the workspace or org of every live installation is allowed.
-- Operators should review the list (`challenge slack allowed-workspaces`) for installs they did
-- not expect, since anyone could attach a workspace before this migration.
INSERT INTO slack_install_allowlist (integration_id, kind, slack_id, added_by, added_at)
SELECT DISTINCT integration_id,
       CASE WHEN is_enterprise_install THEN 'org' ELSE 'workspace' END,
       CASE WHEN is_enterprise_install THEN enterprise_id ELSE team_id END,
       'migration 0009', now()
FROM slack_installations
WHERE deactivated_at IS NULL;

-- App Home lists a person's recent challenges of one installation's workspace.
CREATE INDEX slack_challenges_by_installation_requester
    ON slack_challenges (installation_id, requester_user_id, created_at);
CREATE INDEX slack_challenges_by_installation_target
    ON slack_challenges (installation_id, target_user_id, created_at);

-- "Add to Slack" states are signed now (slack/oauth_state.hpp), so the install redirect writes
-- nothing; a row records only a state's single use at the OAuth redirect, kept until the state
-- expires. Installs started before this migration cannot be finished: start them again.
DELETE FROM slack_oauth_states WHERE used_at IS NULL;
COMMENT ON TABLE slack_oauth_states IS
    'The used "Add to Slack" states (SHA-256 of the signed state), one row each, kept until expires_at';
