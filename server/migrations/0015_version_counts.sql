-- The registry's totals without a count per request: the number of versions per (project, group, registry,
-- stage, status), kept by triggers in the transaction of every write, so a list's total is a sum over a few
-- dozen rows however large the registry grows. (A search's total is a bounded count instead: see listing.rs.)
CREATE TABLE model_versions_counts (
    project    TEXT NOT NULL,
    group_name TEXT NOT NULL,
    registry   TEXT NOT NULL,
    stage      TEXT NOT NULL,
    status     TEXT NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (project, group_name, registry, stage, status)
);
INSERT INTO model_versions_counts (project, group_name, registry, stage, status, n)
    SELECT project, group_name, registry, stage, status, COUNT(*) FROM model_versions
    GROUP BY project, group_name, registry, stage, status;
CREATE TRIGGER model_versions_counts_insert AFTER INSERT ON model_versions BEGIN
    INSERT INTO model_versions_counts (project, group_name, registry, stage, status, n)
        VALUES (new.project, new.group_name, new.registry, new.stage, new.status, 1)
        ON CONFLICT (project, group_name, registry, stage, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER model_versions_counts_delete AFTER DELETE ON model_versions BEGIN
    UPDATE model_versions_counts SET n = n - 1
        WHERE project = old.project AND group_name = old.group_name AND registry = old.registry
          AND stage = old.stage AND status = old.status;
END;
CREATE TRIGGER model_versions_counts_update AFTER UPDATE OF project, group_name, registry, stage, status ON model_versions BEGIN
    UPDATE model_versions_counts SET n = n - 1
        WHERE project = old.project AND group_name = old.group_name AND registry = old.registry
          AND stage = old.stage AND status = old.status;
    INSERT INTO model_versions_counts (project, group_name, registry, stage, status, n)
        VALUES (new.project, new.group_name, new.registry, new.stage, new.status, 1)
        ON CONFLICT (project, group_name, registry, stage, status) DO UPDATE SET n = n + 1;
END;

CREATE TABLE registry_index_counts (
    project    TEXT NOT NULL,
    group_name TEXT NOT NULL,
    registry   TEXT NOT NULL,
    stage      TEXT NOT NULL,
    status     TEXT NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (project, group_name, registry, stage, status)
);
INSERT INTO registry_index_counts (project, group_name, registry, stage, status, n)
    SELECT project, group_name, registry, stage, status, COUNT(*) FROM registry_index
    GROUP BY project, group_name, registry, stage, status;
CREATE TRIGGER registry_index_counts_insert AFTER INSERT ON registry_index BEGIN
    INSERT INTO registry_index_counts (project, group_name, registry, stage, status, n)
        VALUES (new.project, new.group_name, new.registry, new.stage, new.status, 1)
        ON CONFLICT (project, group_name, registry, stage, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER registry_index_counts_delete AFTER DELETE ON registry_index BEGIN
    UPDATE registry_index_counts SET n = n - 1
        WHERE project = old.project AND group_name = old.group_name AND registry = old.registry
          AND stage = old.stage AND status = old.status;
END;
CREATE TRIGGER registry_index_counts_update AFTER UPDATE OF project, group_name, registry, stage, status ON registry_index BEGIN
    UPDATE registry_index_counts SET n = n - 1
        WHERE project = old.project AND group_name = old.group_name AND registry = old.registry
          AND stage = old.stage AND status = old.status;
    INSERT INTO registry_index_counts (project, group_name, registry, stage, status, n)
        VALUES (new.project, new.group_name, new.registry, new.stage, new.status, 1)
        ON CONFLICT (project, group_name, registry, stage, status) DO UPDATE SET n = n + 1;
END;

-- The lists' order, newest first (registered_at, number, id, all descending): an index in exactly that order
-- lets a page across several projects stop after its rows instead of sorting every version of those projects.
CREATE INDEX model_versions_list_order ON model_versions (registered_at, number, id);
CREATE INDEX registry_index_list_order ON registry_index (registered_at, number, id);
-- And one group's versions in that order (the exact model-group filter), without a sort.
CREATE INDEX model_versions_group_order ON model_versions (project, group_name, registered_at, number, id);
CREATE INDEX registry_index_group_order ON registry_index (project, group_name, registered_at, number, id);
