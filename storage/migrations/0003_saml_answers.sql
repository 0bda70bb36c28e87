-- SAML answers arrive as a cross-site POST, which carries no SameSite=Lax cookie: the ACS checks
-- the assertion and parks what it proved on the flow; the browser then follows a same-site
-- redirect that does carry the cookie, and only that request may use the answer.
ALTER TABLE verification_flows ADD COLUMN saml_answer jsonb;
