-- The PostgreSQL store's schema: the same tables, columns and meanings as the SQLite store's migrations 0001-0015
-- (server/migrations), so the SQL the two stores share reads and writes the same rows. Integers are BIGINT and
-- reals DOUBLE PRECISION (what the shared code binds and reads), times are the same millisecond RFC 3339 text
-- (ordered as text), JSON is text. Where SQLite orders by its implicit rowid, a `rowid` identity column stands in.
-- Search uses pg_trgm's trigram indexes: any substring of the id, group name or description, case-insensitive,
-- as SQLite's FTS5 trigram tokenizer matches.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE projects (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    template    TEXT NOT NULL,
    description TEXT NOT NULL,
    policy      TEXT NOT NULL
);

CREATE TABLE people (
    subject      TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    memberships  TEXT NOT NULL,
    admin        BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE model_groups (
    project      TEXT NOT NULL REFERENCES projects(id),
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    dev_versions BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (project, name)
);

CREATE TABLE model_versions (
    rowid          BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    id             TEXT PRIMARY KEY,
    project        TEXT NOT NULL REFERENCES projects(id),
    group_name     TEXT NOT NULL,
    number         BIGINT NOT NULL,
    registry       TEXT NOT NULL CHECK (registry IN ('dev', 'central')),
    stage          TEXT NOT NULL CHECK (stage IN ('Dev', 'Test', 'Prod')),
    status         TEXT NOT NULL CHECK (status IN ('PendingManualApproval', 'Approved', 'Rejected')),
    revision       BIGINT NOT NULL DEFAULT 1,
    description    TEXT NOT NULL,
    registered_by  TEXT NOT NULL,
    registered_at  TEXT NOT NULL,
    lineage        TEXT NOT NULL,
    metrics        TEXT NOT NULL,
    model_card     TEXT NOT NULL,
    source_version TEXT UNIQUE REFERENCES model_versions(id),
    copy_event     TEXT UNIQUE,
    central_copy   TEXT REFERENCES model_versions(id),
    UNIQUE (registry, project, group_name, number)
);
CREATE INDEX model_versions_project ON model_versions(project, group_name, number);
CREATE INDEX model_versions_stage_status ON model_versions(stage, status, registered_at);
CREATE INDEX model_versions_list_order ON model_versions (registered_at, number, id);
CREATE INDEX model_versions_group_order ON model_versions (project, group_name, registered_at, number, id);
CREATE INDEX model_versions_search_id ON model_versions USING gin (id gin_trgm_ops);
CREATE INDEX model_versions_search_group ON model_versions USING gin (group_name gin_trgm_ops);
CREATE INDEX model_versions_search_description ON model_versions USING gin (description gin_trgm_ops);

CREATE TABLE decisions (
    rowid           BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    id              TEXT PRIMARY KEY,
    version         TEXT NOT NULL REFERENCES model_versions(id),
    stage           TEXT NOT NULL,
    verdict         TEXT NOT NULL,
    from_stage      TEXT NOT NULL,
    from_status     TEXT NOT NULL,
    to_stage        TEXT NOT NULL,
    to_status       TEXT NOT NULL,
    quorum_signed   BIGINT,
    quorum_required BIGINT,
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

-- Append-only: no UPDATE, DELETE or TRUNCATE of an entry, whoever asks.
CREATE TABLE audit_log (
    seq       BIGINT PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE events (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    detail_type TEXT NOT NULL,
    time        TEXT NOT NULL,
    version     TEXT,
    envelope    TEXT NOT NULL
);
CREATE INDEX events_version ON events(version, seq);

-- A delivery is claimed by one replica at a time: `claimed_by` until `claimed_until`, then anyone's again.
CREATE TABLE deliveries (
    event_id        TEXT NOT NULL REFERENCES events(id),
    target          TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('Pending', 'Delivered', 'Dead')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at TEXT NOT NULL,
    delivered_at    TEXT,
    claimed_by      TEXT,
    claimed_until   TEXT,
    PRIMARY KEY (event_id, target)
);
CREATE INDEX deliveries_due ON deliveries(state, next_attempt_at);

CREATE TABLE monitoring_series (
    version   TEXT NOT NULL REFERENCES model_versions(id),
    metric    TEXT NOT NULL,
    endpoint  TEXT NOT NULL,
    variant   TEXT NOT NULL,
    threshold DOUBLE PRECISION,
    PRIMARY KEY (version, metric, endpoint, variant)
);

CREATE TABLE monitoring_points (
    version  TEXT NOT NULL,
    metric   TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    variant  TEXT NOT NULL,
    at       TEXT NOT NULL,
    value    DOUBLE PRECISION NOT NULL,
    at_ms    BIGINT,
    PRIMARY KEY (version, metric, endpoint, variant, at)
);
CREATE INDEX monitoring_points_series_time ON monitoring_points (version, metric, endpoint, variant, at_ms, value);

CREATE TABLE monitoring_hourly (
    version  TEXT NOT NULL,
    metric   TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    variant  TEXT NOT NULL,
    hour_ms  BIGINT NOT NULL,
    n        BIGINT NOT NULL,
    over     BIGINT NOT NULL,
    lo       DOUBLE PRECISION NOT NULL,
    hi       DOUBLE PRECISION NOT NULL,
    first_ms BIGINT NOT NULL,
    last_ms  BIGINT NOT NULL,
    PRIMARY KEY (version, metric, endpoint, variant, hour_ms)
);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    principal    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL DEFAULT '',
    id_token     TEXT
);
CREATE INDEX sessions_expires ON sessions(expires_at);

CREATE TABLE experiment_runs (
    run_id        TEXT PRIMARY KEY,
    experiment_id TEXT NOT NULL,
    run_name      TEXT NOT NULL,
    status        TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    start_time    TEXT,
    end_time      TEXT,
    artifact_uri  TEXT NOT NULL,
    params        TEXT NOT NULL,
    tags          TEXT NOT NULL
);
CREATE TABLE experiment_metrics (
    run_id TEXT NOT NULL REFERENCES experiment_runs (run_id),
    key    TEXT NOT NULL,
    step   BIGINT NOT NULL,
    at     TEXT NOT NULL,
    value  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (run_id, key, step, at)
);
CREATE TABLE experiment_registered_versions (
    name    TEXT NOT NULL,
    version TEXT NOT NULL,
    status  TEXT NOT NULL,
    source  TEXT NOT NULL,
    run_id  TEXT NOT NULL REFERENCES experiment_runs (run_id),
    PRIMARY KEY (name, version)
);
CREATE INDEX experiment_registered_versions_run ON experiment_registered_versions (run_id);

CREATE TABLE sign_in_flows (
    id            TEXT PRIMARY KEY,
    state         TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX sign_in_flows_created ON sign_in_flows(created_at);

CREATE TABLE journal_pending_decisions (
    rowid       BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    id          TEXT PRIMARY KEY,
    version     TEXT NOT NULL UNIQUE,
    project     TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    pending     TEXT NOT NULL
);
CREATE INDEX journal_pending_recorded_at ON journal_pending_decisions(recorded_at);

CREATE TABLE journal_decisions (
    rowid      BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    id         TEXT PRIMARY KEY,
    version    TEXT NOT NULL,
    project    TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    decision   TEXT NOT NULL
);
CREATE INDEX journal_decisions_version ON journal_decisions(version, decided_at);
CREATE INDEX journal_decisions_project ON journal_decisions(project, decided_at);
CREATE INDEX journal_decisions_decided_at ON journal_decisions(decided_at);

CREATE TABLE journal_copy_claims (
    source         TEXT PRIMARY KEY,
    claimed_at     TEXT NOT NULL,
    copy           TEXT,
    source_created BIGINT
);

CREATE TABLE journal_version_details (
    version         TEXT PRIMARY KEY,
    details         TEXT NOT NULL,
    package_created BIGINT
);

CREATE TABLE registry_state_changes (
    event_id    TEXT PRIMARY KEY,
    version     TEXT NOT NULL,
    received_at TEXT NOT NULL
);

CREATE TABLE deployment_configs (
    version     TEXT NOT NULL,
    environment TEXT NOT NULL CHECK (environment IN ('Test', 'Prod')),
    config      TEXT NOT NULL,
    saved_by    TEXT NOT NULL,
    saved_at    TEXT NOT NULL,
    commit_ref  TEXT,
    PRIMARY KEY (version, environment)
);

CREATE TABLE test_runs (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    version     TEXT NOT NULL,
    passed      BIGINT NOT NULL,
    cases       TEXT NOT NULL,
    performance TEXT NOT NULL,
    ci_run      TEXT NOT NULL,
    reported_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX test_runs_version ON test_runs(version, seq);

CREATE TABLE deployment_requests (
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
CREATE INDEX deployment_requests_version ON deployment_requests(version, requested_at);

CREATE TABLE templates (
    id          TEXT NOT NULL,
    version     BIGINT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('Draft', 'Published', 'Deprecated')),
    name        TEXT NOT NULL,
    definition  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (id, version)
);
CREATE INDEX templates_name ON templates(name);

CREATE TABLE project_setups (
    project          TEXT PRIMARY KEY REFERENCES projects(id),
    template         TEXT NOT NULL,
    template_version BIGINT NOT NULL,
    created_at       TEXT NOT NULL,
    create_event     TEXT NOT NULL UNIQUE,
    setup            TEXT NOT NULL,
    FOREIGN KEY (template, template_version) REFERENCES templates(id, version)
);
CREATE INDEX project_setups_template ON project_setups(template, template_version);
CREATE INDEX project_setups_created ON project_setups(created_at);

CREATE TABLE project_members (
    project  TEXT NOT NULL REFERENCES projects(id),
    subject  TEXT NOT NULL,
    personas TEXT NOT NULL,
    PRIMARY KEY (project, subject)
);
CREATE INDEX project_members_subject ON project_members(subject);

CREATE TABLE datasets (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    producer       TEXT NOT NULL,
    description    TEXT NOT NULL,
    classification TEXT NOT NULL,
    location       TEXT NOT NULL,
    schema         TEXT NOT NULL
);
CREATE INDEX datasets_producer ON datasets(producer);

CREATE TABLE subscriptions (
    id            TEXT PRIMARY KEY,
    dataset       TEXT NOT NULL REFERENCES datasets(id),
    project       TEXT NOT NULL REFERENCES projects(id),
    requested_by  TEXT NOT NULL,
    justification TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('Requested', 'Approved', 'Rejected', 'Revoked')),
    decided_by    TEXT,
    reason        TEXT NOT NULL DEFAULT '',
    requested_at  TEXT NOT NULL,
    decided_at    TEXT
);
CREATE INDEX subscriptions_project ON subscriptions(project, requested_at);
CREATE INDEX subscriptions_dataset ON subscriptions(dataset, status);

CREATE TABLE form_flashes (
    id         TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    path       TEXT NOT NULL,
    error      TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX form_flashes_session ON form_flashes (session_id, created_at);

CREATE TABLE registry_index (
    rowid         BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    id            TEXT PRIMARY KEY,
    registry      TEXT NOT NULL CHECK (registry IN ('dev', 'central')),
    project       TEXT NOT NULL,
    group_name    TEXT NOT NULL,
    number        BIGINT NOT NULL,
    stage         TEXT NOT NULL,
    status        TEXT NOT NULL,
    description   TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    package_arn   TEXT NOT NULL,
    version       TEXT NOT NULL,
    agreed_at     TEXT NOT NULL
);
CREATE INDEX registry_index_stage ON registry_index (registry, stage, status, registered_at);
CREATE INDEX registry_index_group ON registry_index (project, group_name, number);
CREATE INDEX registry_index_agreed ON registry_index (agreed_at);
CREATE INDEX registry_index_list_order ON registry_index (registered_at, number, id);
CREATE INDEX registry_index_group_order ON registry_index (project, group_name, registered_at, number, id);
CREATE INDEX registry_index_search_id ON registry_index USING gin (id gin_trgm_ops);
CREATE INDEX registry_index_search_group ON registry_index USING gin (group_name gin_trgm_ops);
CREATE INDEX registry_index_search_description ON registry_index USING gin (description gin_trgm_ops);

CREATE TABLE registry_index_groups (
    project      TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    dev_versions BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (project, name)
);

CREATE TABLE registry_unmanaged_groups (
    account TEXT NOT NULL,
    name    TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (account, name)
);

CREATE TABLE registry_index_state (
    id            BIGINT PRIMARY KEY CHECK (id = 1),
    reconciled_at TEXT NOT NULL
);

CREATE TABLE readiness_probe (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    at TEXT NOT NULL
);

CREATE TABLE portal_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Work only one replica may do at a time (the reconciler, the state-change queue's consumer): held by
-- `holder` until `expires_at`, renewed while it runs, taken over once it expires.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- Counts per (project, group, registry, stage, status) and each group's Dev versions, kept by triggers in the
-- transaction of every write, as SQLite's migration 0015 keeps them.
CREATE TABLE model_versions_counts (
    project    TEXT NOT NULL,
    group_name TEXT NOT NULL,
    registry   TEXT NOT NULL,
    stage      TEXT NOT NULL,
    status     TEXT NOT NULL,
    n          BIGINT NOT NULL,
    PRIMARY KEY (project, group_name, registry, stage, status)
);
CREATE TABLE registry_index_counts (LIKE model_versions_counts INCLUDING ALL);

-- TG_ARGV[0]: the counts table; TG_ARGV[1]: the groups table.
CREATE FUNCTION keep_version_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        EXECUTE format('UPDATE %I SET n = n - 1 WHERE project = $1 AND group_name = $2 AND registry = $3
                        AND stage = $4 AND status = $5', TG_ARGV[0])
            USING OLD.project, OLD.group_name, OLD.registry, OLD.stage, OLD.status;
        IF OLD.registry = 'dev' THEN
            EXECUTE format('UPDATE %I SET dev_versions = dev_versions - 1 WHERE project = $1 AND name = $2', TG_ARGV[1])
                USING OLD.project, OLD.group_name;
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        EXECUTE format('INSERT INTO %I (project, group_name, registry, stage, status, n) VALUES ($1, $2, $3, $4, $5, 1)
                        ON CONFLICT (project, group_name, registry, stage, status) DO UPDATE SET n = %I.n + 1',
                       TG_ARGV[0], TG_ARGV[0])
            USING NEW.project, NEW.group_name, NEW.registry, NEW.stage, NEW.status;
        IF NEW.registry = 'dev' THEN
            EXECUTE format('UPDATE %I SET dev_versions = dev_versions + 1 WHERE project = $1 AND name = $2', TG_ARGV[1])
                USING NEW.project, NEW.group_name;
        END IF;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER model_versions_counts AFTER INSERT OR DELETE OR UPDATE OF project, group_name, registry, stage, status
    ON model_versions FOR EACH ROW EXECUTE FUNCTION keep_version_counts('model_versions_counts', 'model_groups');
CREATE TRIGGER registry_index_counts AFTER INSERT OR DELETE OR UPDATE OF project, group_name, registry, stage, status
    ON registry_index FOR EACH ROW EXECUTE FUNCTION keep_version_counts('registry_index_counts', 'registry_index_groups');
