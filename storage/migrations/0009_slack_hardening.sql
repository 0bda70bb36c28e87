-- Slack hardening (issue 9): reads from Slack are scoped to the installation (workspace or org)
-- a challenge went through, not just to its tenant.

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
