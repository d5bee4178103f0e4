-- Sign-in: idle expiry and the ID token (the hint for RP-initiated logout) on sessions, and OIDC sign-ins in
-- flight (state, nonce and PKCE verifier between the redirect to the provider and its callback).
ALTER TABLE sessions ADD COLUMN last_seen_at TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN id_token TEXT;

CREATE TABLE sign_in_flows (
    id            TEXT PRIMARY KEY,
    state         TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX sign_in_flows_created ON sign_in_flows(created_at);
