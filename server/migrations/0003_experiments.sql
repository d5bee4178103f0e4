-- The embedded experiment tracker: training runs with their params, tags, stepwise metrics, and the
-- registered model versions made from them (what an MLflow tracking server would hold).
CREATE TABLE experiment_runs (
    run_id        TEXT PRIMARY KEY,
    experiment_id TEXT NOT NULL,
    run_name      TEXT NOT NULL,
    status        TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    start_time    TEXT,
    end_time      TEXT,
    artifact_uri  TEXT NOT NULL,
    params        TEXT NOT NULL, -- JSON object
    tags          TEXT NOT NULL  -- JSON object
);

CREATE TABLE experiment_metrics (
    run_id TEXT NOT NULL REFERENCES experiment_runs (run_id),
    key    TEXT NOT NULL,
    step   INTEGER NOT NULL,
    at     TEXT NOT NULL,
    value  REAL NOT NULL,
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
