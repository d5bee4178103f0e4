-- Phase 1 of the path: templates (versioned), projects made from them with their provisioning, members of
-- those projects, and the data catalog with subscriptions.

CREATE TABLE templates (
    id          TEXT NOT NULL,
    version     INTEGER NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('Draft', 'Published', 'Deprecated')),
    name        TEXT NOT NULL,
    definition  TEXT NOT NULL, -- JSON TemplateDefinition
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (id, version)
);
CREATE INDEX templates_name ON templates(name);

-- A project made from a template (demo projects have none). The project itself is in `projects`.
CREATE TABLE project_setups (
    project          TEXT PRIMARY KEY REFERENCES projects(id),
    template         TEXT NOT NULL,
    template_version INTEGER NOT NULL,
    created_at       TEXT NOT NULL,
    create_event     TEXT NOT NULL UNIQUE,
    setup            TEXT NOT NULL, -- JSON ProjectSetup (parameters, members, provisioning, upgrades)
    FOREIGN KEY (template, template_version) REFERENCES templates(id, version)
);
CREATE INDEX project_setups_template ON project_setups(template, template_version);
CREATE INDEX project_setups_created ON project_setups(created_at);

CREATE TABLE project_members (
    project  TEXT NOT NULL REFERENCES projects(id),
    subject  TEXT NOT NULL,
    personas TEXT NOT NULL, -- JSON [Persona]
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

-- Where a deployment config was committed in the project's deploy repository (JSON: repository, path,
-- commit); NULL for projects without one.
ALTER TABLE deployment_configs ADD COLUMN commit_ref TEXT;
