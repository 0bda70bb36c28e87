-- Slack hardening (issue 9): reads from Slack are scoped to the installation (workspace or org)
-- a challenge went through, not just to its tenant.

-- App Home lists a person's recent challenges of one installation's workspace.
CREATE INDEX slack_challenges_by_installation_requester
    ON slack_challenges (installation_id, requester_user_id, created_at);
CREATE INDEX slack_challenges_by_installation_target
    ON slack_challenges (installation_id, target_user_id, created_at);
