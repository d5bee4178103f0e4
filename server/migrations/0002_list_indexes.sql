-- The registry list filters by project (and stage/status) and orders by registration time, newest first:
-- an index in that order serves the page without sorting the project's whole history.
CREATE INDEX model_versions_project_registered ON model_versions(project, registered_at);
CREATE INDEX model_versions_stage_status_registered ON model_versions(stage, status, registered_at);
