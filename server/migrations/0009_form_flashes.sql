-- A refused plain form post (JavaScript off): its error and what was typed, kept on the server for the page it
-- returns to, so the typed text never travels in a URL (history, server logs, referrers). Bound to the
-- session that posted it; read by that session only, for a few minutes.
CREATE TABLE form_flashes (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    path TEXT NOT NULL,
    error TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX form_flashes_session ON form_flashes (session_id, created_at);
