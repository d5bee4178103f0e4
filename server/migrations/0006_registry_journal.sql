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
