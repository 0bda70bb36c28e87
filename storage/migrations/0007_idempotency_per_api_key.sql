-- Idempotency keys belong to the API key that sent them, not to the whole tenant: with a key
-- space shared by all of a tenant's integrations, a second integration sending the same
-- Idempotency-Key got the first one's stored answer (its verification code included).
ALTER TABLE idempotency_keys ADD COLUMN api_key_hash bytea;

-- A finished record names the challenge it created; the live key of that challenge's
-- integration is the key that may replay it (an integration has one live key at a time).
UPDATE idempotency_keys k SET api_key_hash = a.key_hash
FROM challenges c
JOIN api_keys a ON a.integration_id = c.integration_id AND a.revoked_at IS NULL
WHERE c.tenant_id = k.tenant_id
  AND c.id = substring(k.response_body
                       FROM '"challenge_id":"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"')::uuid;

-- Claims still in flight and records whose key is gone cannot be attributed; at worst a retry
-- of one of them creates its challenge anew.
DELETE FROM idempotency_keys WHERE api_key_hash IS NULL;

ALTER TABLE idempotency_keys ALTER COLUMN api_key_hash SET NOT NULL;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
ALTER TABLE idempotency_keys ADD PRIMARY KEY (api_key_hash, key);
