-- The portal database's half of a registry that lives elsewhere (SageMaker): the RegistryJournal port.
-- Its versions are not rows of model_versions, so its tables reference none.

-- Decisions recorded before they are applied to the registry (DESIGN.md §6). The unique version is the
-- one-pending-decision-per-version rule: of racing deciders the database lets exactly one insert.
CREATE TABLE journal_pending_decisions (
    id          TEXT PRIMARY KEY,
    version     TEXT NOT NULL UNIQUE,
    project     TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    pending     TEXT NOT NULL -- JSON PendingDecision, its effects held back
);
CREATE INDEX journal_pending_recorded_at ON journal_pending_decisions(recorded_at);

-- Decisions applied and committed.
CREATE TABLE journal_decisions (
    id         TEXT PRIMARY KEY,
    version    TEXT NOT NULL,
    project    TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    decision   TEXT NOT NULL -- JSON Decision
);
CREATE INDEX journal_decisions_version ON journal_decisions(version, decided_at);
CREATE INDEX journal_decisions_project ON journal_decisions(project, decided_at);
CREATE INDEX journal_decisions_decided_at ON journal_decisions(decided_at);

-- One central copy per Dev version: the claim row serialises copiers; `copy` is set once the copy exists.
CREATE TABLE journal_copy_claims (
    source     TEXT PRIMARY KEY,
    claimed_at TEXT NOT NULL,
    copy       TEXT
);

-- What a model package has no field for (metric values, model card, training data).
CREATE TABLE journal_version_details (
    version TEXT PRIMARY KEY,
    details TEXT NOT NULL -- JSON VersionDetails
);

-- SageMaker's own state-change events already taken in, by EventBridge event id (AWS may send duplicates).
CREATE TABLE registry_state_changes (
    event_id    TEXT PRIMARY KEY,
    version     TEXT NOT NULL,
    received_at TEXT NOT NULL
);

-- Evidence of a version held elsewhere (a SageMaker model package) lives here too, so the evidence tables can no
-- longer reference model_versions: SQLite drops a foreign key only by rebuilding the table. The service checks
-- that the version exists before it records evidence.
CREATE TABLE deployment_configs_new (
    version     TEXT NOT NULL,
    environment TEXT NOT NULL CHECK (environment IN ('Test', 'Prod')),
    config      TEXT NOT NULL, -- JSON DeploymentConfig
    saved_by    TEXT NOT NULL,
    saved_at    TEXT NOT NULL,
    PRIMARY KEY (version, environment)
);
INSERT INTO deployment_configs_new SELECT version, environment, config, saved_by, saved_at FROM deployment_configs;
DROP TABLE deployment_configs;
ALTER TABLE deployment_configs_new RENAME TO deployment_configs;

CREATE TABLE test_runs_new (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    version     TEXT NOT NULL,
    passed      INTEGER NOT NULL,
    cases       TEXT NOT NULL, -- JSON [TestCase]
    performance TEXT NOT NULL, -- JSON {name: value}
    ci_run      TEXT NOT NULL,
    reported_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
INSERT INTO test_runs_new SELECT seq, id, version, passed, cases, performance, ci_run, reported_by, recorded_at
    FROM test_runs;
DROP TABLE test_runs;
ALTER TABLE test_runs_new RENAME TO test_runs;
CREATE INDEX test_runs_version ON test_runs(version, seq);

CREATE TABLE deployment_requests_new (
    id               TEXT PRIMARY KEY,
    version          TEXT NOT NULL,
    environment      TEXT NOT NULL,
    config           TEXT NOT NULL,
    triggering_event TEXT NOT NULL UNIQUE,
    status           TEXT NOT NULL,
    endpoint_name    TEXT NOT NULL,
    message          TEXT NOT NULL,
    requested_at     TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
INSERT INTO deployment_requests_new SELECT id, version, environment, config, triggering_event, status, endpoint_name,
    message, requested_at, updated_at FROM deployment_requests;
DROP TABLE deployment_requests;
ALTER TABLE deployment_requests_new RENAME TO deployment_requests;
CREATE INDEX deployment_requests_version ON deployment_requests(version, requested_at);
