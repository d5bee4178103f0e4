-- The continuous governance cycle: reviews of Prod versions opened by sustained monitoring breaches, and the
-- earlier version a rollback decision goes back to.
ALTER TABLE decisions ADD COLUMN rollback_to TEXT;

CREATE TABLE reviews (
    id        TEXT PRIMARY KEY,
    version   TEXT NOT NULL,
    project   TEXT NOT NULL,
    -- What the review is about, e.g. `breach:ModelLatency p99|churn-prod|champion`.
    cause     TEXT NOT NULL,
    status    TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    revision  BIGINT NOT NULL,
    -- The review as the domain has it (breach, decisions), JSON.
    body      TEXT NOT NULL
);
-- One active review per version and cause: of two pushes that open one at once, exactly one inserts.
CREATE UNIQUE INDEX reviews_active ON reviews(version, cause) WHERE status <> 'Closed';
CREATE INDEX reviews_version ON reviews(version, opened_at);
CREATE INDEX reviews_status ON reviews(status, project, opened_at);
