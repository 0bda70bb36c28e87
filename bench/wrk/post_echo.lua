-- bench/wrk/post_echo.lua: receiver self-test, ~600-byte JSON POSTs (no challenge_id, so nothing is recorded).
local body = '{"event_type":"challenge.completed","status":"failed","failure_reason":"canceled",' ..
   '"created_at":"2025-12-01T12:00:00Z","completed_at":"2025-12-01T12:00:05Z","expires_at":"2025-12-01T12:15:00Z",' ..
   '"target_user_id":null,"target_user_email":"alice@example.com","requester_id":"webhook","context":"' ..
   string.rep("x", 300) .. '","target_response":null,"device_fingerprint":null,"auth_method":null}'
wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
