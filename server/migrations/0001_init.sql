-- The embedded backend: registries, decisions, audit log, outbox, evidence, monitoring, sessions.
-- Times are UTC text in one fixed format (YYYY-MM-DDTHH:MM:SS.mmmZ), so text order is time order.

CREATE TABLE projects (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    template    TEXT NOT NULL,
    description TEXT NOT NULL,
    policy      TEXT NOT NULL -- JSON ProjectPolicy
);

CREATE TABLE people (
    subject      TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    memberships  TEXT NOT NULL -- JSON {project: [persona]}
);

CREATE TABLE model_groups (
    project     TEXT NOT NULL REFERENCES projects(id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (project, name)
);

CREATE TABLE model_versions (
    id             TEXT PRIMARY KEY,
    project        TEXT NOT NULL REFERENCES projects(id),
    group_name     TEXT NOT NULL,
    number         INTEGER NOT NULL,
    registry       TEXT NOT NULL CHECK (registry IN ('dev', 'central')),
    stage          TEXT NOT NULL CHECK (stage IN ('Dev', 'Test', 'Prod')),
    status         TEXT NOT NULL CHECK (status IN ('PendingManualApproval', 'Approved', 'Rejected')),
    revision       INTEGER NOT NULL DEFAULT 1,
    description    TEXT NOT NULL,
    registered_by  TEXT NOT NULL,
    registered_at  TEXT NOT NULL,
    lineage        TEXT NOT NULL, -- JSON Lineage
    metrics        TEXT NOT NULL, -- JSON {name: value}
    model_card     TEXT NOT NULL, -- JSON ModelCard
    -- A central copy: its Dev source and the event that made it; both unique so a redelivered event or a
    -- second replica makes no second copy.
    source_version TEXT UNIQUE REFERENCES model_versions(id),
    copy_event     TEXT UNIQUE,
    central_copy   TEXT REFERENCES model_versions(id),
    UNIQUE (registry, project, group_name, number)
);
CREATE INDEX model_versions_project ON model_versions(project, group_name, number);
CREATE INDEX model_versions_stage_status ON model_versions(stage, status);
CREATE INDEX model_versions_registered_at ON model_versions(registered_at);

CREATE TABLE decisions (
    id              TEXT PRIMARY KEY,
    version         TEXT NOT NULL REFERENCES model_versions(id),
    stage           TEXT NOT NULL,
    verdict         TEXT NOT NULL,
    from_stage      TEXT NOT NULL,
    from_status     TEXT NOT NULL,
    to_stage        TEXT NOT NULL,
    to_status       TEXT NOT NULL,
    quorum_signed   INTEGER,
    quorum_required INTEGER,
    decided_by      TEXT NOT NULL,
    decided_by_name TEXT NOT NULL,
    persona         TEXT NOT NULL,
    justification   TEXT NOT NULL,
    evidence_digest TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    decided_at      TEXT NOT NULL
);
CREATE INDEX decisions_version ON decisions(version, decided_at);
CREATE INDEX decisions_decided_at ON decisions(decided_at);

CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
-- Append-only: the database itself refuses edits and deletions.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- The transactional outbox: an event and one delivery row per target, written with the change.
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    detail_type TEXT NOT NULL,
    time        TEXT NOT NULL,
    version     TEXT,
    envelope    TEXT NOT NULL -- JSON EventBridge envelope
);
CREATE INDEX events_version ON events(version, seq);

CREATE TABLE deliveries (
    event_id        TEXT NOT NULL REFERENCES events(id),
    target          TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('Pending', 'Delivered', 'Dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at TEXT NOT NULL,
    delivered_at    TEXT,
    PRIMARY KEY (event_id, target)
);
CREATE INDEX deliveries_due ON deliveries(state, next_attempt_at);

CREATE TABLE deployment_configs (
    version     TEXT NOT NULL REFERENCES model_versions(id),
    environment TEXT NOT NULL CHECK (environment IN ('Test', 'Prod')),
    config      TEXT NOT NULL, -- JSON DeploymentConfig
    saved_by    TEXT NOT NULL,
    saved_at    TEXT NOT NULL,
    PRIMARY KEY (version, environment)
);

CREATE TABLE test_runs (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    version     TEXT NOT NULL REFERENCES model_versions(id),
    passed      INTEGER NOT NULL,
    cases       TEXT NOT NULL, -- JSON [TestCase]
    performance TEXT NOT NULL, -- JSON {name: value}
    ci_run      TEXT NOT NULL,
    reported_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX test_runs_version ON test_runs(version, seq);

CREATE TABLE deployment_requests (
    id               TEXT PRIMARY KEY,
    version          TEXT NOT NULL REFERENCES model_versions(id),
    environment      TEXT NOT NULL,
    config           TEXT NOT NULL,
    triggering_event TEXT NOT NULL UNIQUE,
    status           TEXT NOT NULL,
    endpoint_name    TEXT NOT NULL,
    message          TEXT NOT NULL,
    requested_at     TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX deployment_requests_version ON deployment_requests(version, requested_at);

CREATE TABLE monitoring_series (
    version   TEXT NOT NULL REFERENCES model_versions(id),
    metric    TEXT NOT NULL,
    endpoint  TEXT NOT NULL,
    variant   TEXT NOT NULL,
    threshold REAL,
    PRIMARY KEY (version, metric, endpoint, variant)
);

CREATE TABLE monitoring_points (
    version  TEXT NOT NULL,
    metric   TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    variant  TEXT NOT NULL,
    at       TEXT NOT NULL,
    value    REAL NOT NULL,
    PRIMARY KEY (version, metric, endpoint, variant, at)
);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    principal  TEXT NOT NULL, -- JSON Principal
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_expires ON sessions(expires_at);
