-- Slack challenges: which installation carries each one, who asked (NULL: the app's own bot user)
-- and where the command ran. Its card and its outcome travel through slack_jobs, written in the
-- same transactions as the challenge (its insert, and every terminal move), so a crash between
-- the commit and the Slack call loses nothing: the job is still pending and any node resumes it.
CREATE TABLE slack_challenges (
    challenge_id      uuid PRIMARY KEY REFERENCES challenges (id),
    tenant_id         uuid NOT NULL REFERENCES tenants (id),
    installation_id   uuid NOT NULL REFERENCES slack_installations (id),
    requester_user_id text,
    target_user_id    text NOT NULL,
    -- Where /challenge ran: the requester's message goes there as a thread reply when the bot
    -- can post in it, else to the requester's DM.
    origin_channel_id text,
    created_at        timestamptz NOT NULL
);
-- Per-requester and per-target rate limits and App Home's lists read recent rows by person.
CREATE INDEX slack_challenges_by_requester ON slack_challenges (tenant_id, requester_user_id, created_at);
CREATE INDEX slack_challenges_by_target ON slack_challenges (tenant_id, target_user_id, created_at);

-- 'deliver' posts the card and the requester's message; 'outcome' updates both in place (and
-- alerts the security channel on an incident). An outcome waits for its challenge's delivery.
-- A claimed job is leased by pushing next_attempt_at ahead, so a node that dies mid-job only
-- delays it.
CREATE TABLE slack_jobs (
    id              bigserial PRIMARY KEY,
    challenge_id    uuid NOT NULL REFERENCES slack_challenges (challenge_id),
    kind            text NOT NULL CHECK (kind IN ('deliver', 'outcome')),
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'dead')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_error      text,
    created_at      timestamptz NOT NULL,
    finished_at     timestamptz,
    UNIQUE (challenge_id, kind)
);
CREATE INDEX slack_jobs_due ON slack_jobs (next_attempt_at) WHERE state = 'pending';
