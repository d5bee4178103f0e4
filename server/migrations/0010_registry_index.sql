-- The portal's index of the SageMaker registries: a row per model package the portal manages (Dev and central),
-- kept current by the portal's own writes, SageMaker's state-change events and a periodic full reconciliation
-- (ListModelPackages, paged), so that pages list, filter, count and search here at any size and offset, never in
-- a window of live calls. Decisions stay compare-and-set against SageMaker itself. Unused on the embedded store.
CREATE TABLE registry_index (
    id            TEXT PRIMARY KEY,
    registry      TEXT NOT NULL CHECK (registry IN ('dev', 'central')),
    project       TEXT NOT NULL,
    group_name    TEXT NOT NULL,
    number        INTEGER NOT NULL,
    stage         TEXT NOT NULL,
    status        TEXT NOT NULL,
    description   TEXT NOT NULL,
    -- The package's CreationTime and ARN: together its identity (a package deleted and made again under the
    -- same number is another package).
    registered_at TEXT NOT NULL,
    package_arn   TEXT NOT NULL,
    -- The version as last read from SageMaker and the portal's journal (JSON).
    version       TEXT NOT NULL,
    -- When SageMaker last agreed with this row.
    agreed_at     TEXT NOT NULL
);
CREATE INDEX registry_index_registered ON registry_index (registered_at, number);
CREATE INDEX registry_index_project ON registry_index (project, registered_at);
CREATE INDEX registry_index_stage ON registry_index (registry, stage, status, registered_at);
CREATE INDEX registry_index_group ON registry_index (project, group_name, number);
CREATE INDEX registry_index_agreed ON registry_index (agreed_at);

-- The Dev model package groups of the portal's projects (a group may have no package yet).
CREATE TABLE registry_index_groups (
    project     TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    PRIMARY KEY (project, name)
);

-- Groups in the accounts that belong to no project of the portal, as the last reconciliation saw them.
CREATE TABLE registry_unmanaged_groups (
    account TEXT NOT NULL,
    name    TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (account, name)
);

-- When the last full reconciliation finished (one row).
CREATE TABLE registry_index_state (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    reconciled_at TEXT NOT NULL
);
