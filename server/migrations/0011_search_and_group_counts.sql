-- Search through SQLite's own full-text engine instead of LIKE '%...%' over three columns: FTS5 with the trigram
-- tokenizer matches any substring of three or more characters (case-insensitive) through an index, so a search
-- costs what it finds, not the size of the registry. External-content tables: the text lives once, in the base
-- table; triggers keep the index in step inside the same transaction as every write.
CREATE VIRTUAL TABLE model_versions_fts USING fts5(
    id, group_name, description, content='model_versions', content_rowid='rowid', tokenize='trigram'
);
INSERT INTO model_versions_fts (rowid, id, group_name, description)
    SELECT rowid, id, group_name, description FROM model_versions;
CREATE TRIGGER model_versions_fts_insert AFTER INSERT ON model_versions BEGIN
    INSERT INTO model_versions_fts (rowid, id, group_name, description)
        VALUES (new.rowid, new.id, new.group_name, new.description);
END;
CREATE TRIGGER model_versions_fts_delete AFTER DELETE ON model_versions BEGIN
    INSERT INTO model_versions_fts (model_versions_fts, rowid, id, group_name, description)
        VALUES ('delete', old.rowid, old.id, old.group_name, old.description);
END;
CREATE TRIGGER model_versions_fts_update AFTER UPDATE OF id, group_name, description ON model_versions BEGIN
    INSERT INTO model_versions_fts (model_versions_fts, rowid, id, group_name, description)
        VALUES ('delete', old.rowid, old.id, old.group_name, old.description);
    INSERT INTO model_versions_fts (rowid, id, group_name, description)
        VALUES (new.rowid, new.id, new.group_name, new.description);
END;

CREATE VIRTUAL TABLE registry_index_fts USING fts5(
    id, group_name, description, content='registry_index', content_rowid='rowid', tokenize='trigram'
);
INSERT INTO registry_index_fts (rowid, id, group_name, description)
    SELECT rowid, id, group_name, description FROM registry_index;
CREATE TRIGGER registry_index_fts_insert AFTER INSERT ON registry_index BEGIN
    INSERT INTO registry_index_fts (rowid, id, group_name, description)
        VALUES (new.rowid, new.id, new.group_name, new.description);
END;
CREATE TRIGGER registry_index_fts_delete AFTER DELETE ON registry_index BEGIN
    INSERT INTO registry_index_fts (registry_index_fts, rowid, id, group_name, description)
        VALUES ('delete', old.rowid, old.id, old.group_name, old.description);
END;
CREATE TRIGGER registry_index_fts_update AFTER UPDATE OF id, group_name, description ON registry_index BEGIN
    INSERT INTO registry_index_fts (registry_index_fts, rowid, id, group_name, description)
        VALUES ('delete', old.rowid, old.id, old.group_name, old.description);
    INSERT INTO registry_index_fts (rowid, id, group_name, description)
        VALUES (new.rowid, new.id, new.group_name, new.description);
END;

-- Each group's number of Dev versions, maintained by triggers, so the group table does not count a group's
-- versions on every page.
ALTER TABLE model_groups ADD COLUMN dev_versions INTEGER NOT NULL DEFAULT 0;
UPDATE model_groups SET dev_versions = (
    SELECT COUNT(*) FROM model_versions v
    WHERE v.project = model_groups.project AND v.group_name = model_groups.name AND v.registry = 'dev'
);
CREATE TRIGGER model_groups_count_insert AFTER INSERT ON model_versions WHEN new.registry = 'dev' BEGIN
    UPDATE model_groups SET dev_versions = dev_versions + 1 WHERE project = new.project AND name = new.group_name;
END;
CREATE TRIGGER model_groups_count_delete AFTER DELETE ON model_versions WHEN old.registry = 'dev' BEGIN
    UPDATE model_groups SET dev_versions = dev_versions - 1 WHERE project = old.project AND name = old.group_name;
END;

ALTER TABLE registry_index_groups ADD COLUMN dev_versions INTEGER NOT NULL DEFAULT 0;
UPDATE registry_index_groups SET dev_versions = (
    SELECT COUNT(*) FROM registry_index v
    WHERE v.project = registry_index_groups.project AND v.group_name = registry_index_groups.name AND v.registry = 'dev'
);
CREATE TRIGGER registry_index_groups_count_insert AFTER INSERT ON registry_index WHEN new.registry = 'dev' BEGIN
    UPDATE registry_index_groups SET dev_versions = dev_versions + 1
        WHERE project = new.project AND name = new.group_name;
END;
CREATE TRIGGER registry_index_groups_count_delete AFTER DELETE ON registry_index WHEN old.registry = 'dev' BEGIN
    UPDATE registry_index_groups SET dev_versions = dev_versions - 1
        WHERE project = old.project AND name = old.group_name;
END;
