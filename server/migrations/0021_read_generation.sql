-- The read generation: one number that every change to what the registry views show moves on, in the same
-- transaction as the change. The read cache (server/src/read_cache.rs) keys each answer on it, read before the
-- answer is made, so an answer cached under a generation never outlives a change: the next request reads a
-- newer generation and misses. (PostgreSQL needs no counter: its generation is the transaction snapshot,
-- see server/src/postgres/dialect.rs.)
--
-- Not counted (their tables change often and no cached view reads them): the outbox (events, deliveries), the
-- audit log (every entry comes with a change counted here), sessions, sign-in flows and form flashes (the
-- cache keys on the resolved person, checked on every request), leases, portal_state and the readiness probe
-- (the processes' own coordination), monitoring points and their hourly roll-up, and notifications.
-- A table added later is counted only when it gets its triggers here: a view that reads it must not be
-- cached until it does.
CREATE TABLE read_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO read_generation (id, n) VALUES (1, 0);
CREATE TRIGGER datasets_read_generation_insert AFTER INSERT ON datasets BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER datasets_read_generation_update AFTER UPDATE ON datasets BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER datasets_read_generation_delete AFTER DELETE ON datasets BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER decisions_read_generation_insert AFTER INSERT ON decisions BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER decisions_read_generation_update AFTER UPDATE ON decisions BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER decisions_read_generation_delete AFTER DELETE ON decisions BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER deployment_configs_read_generation_insert AFTER INSERT ON deployment_configs BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER deployment_configs_read_generation_update AFTER UPDATE ON deployment_configs BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER deployment_configs_read_generation_delete AFTER DELETE ON deployment_configs BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER deployment_requests_read_generation_insert AFTER INSERT ON deployment_requests BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER deployment_requests_read_generation_update AFTER UPDATE ON deployment_requests BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER deployment_requests_read_generation_delete AFTER DELETE ON deployment_requests BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER experiment_metrics_read_generation_insert AFTER INSERT ON experiment_metrics BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER experiment_metrics_read_generation_update AFTER UPDATE ON experiment_metrics BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER experiment_metrics_read_generation_delete AFTER DELETE ON experiment_metrics BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER experiment_registered_versions_read_generation_insert AFTER INSERT ON experiment_registered_versions BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER experiment_registered_versions_read_generation_update AFTER UPDATE ON experiment_registered_versions BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER experiment_registered_versions_read_generation_delete AFTER DELETE ON experiment_registered_versions BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER experiment_runs_read_generation_insert AFTER INSERT ON experiment_runs BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER experiment_runs_read_generation_update AFTER UPDATE ON experiment_runs BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER experiment_runs_read_generation_delete AFTER DELETE ON experiment_runs BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER journal_copy_claims_read_generation_insert AFTER INSERT ON journal_copy_claims BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER journal_copy_claims_read_generation_update AFTER UPDATE ON journal_copy_claims BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER journal_copy_claims_read_generation_delete AFTER DELETE ON journal_copy_claims BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER journal_decisions_read_generation_insert AFTER INSERT ON journal_decisions BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER journal_decisions_read_generation_update AFTER UPDATE ON journal_decisions BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER journal_decisions_read_generation_delete AFTER DELETE ON journal_decisions BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER journal_pending_decisions_read_generation_insert AFTER INSERT ON journal_pending_decisions BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER journal_pending_decisions_read_generation_update AFTER UPDATE ON journal_pending_decisions BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER journal_pending_decisions_read_generation_delete AFTER DELETE ON journal_pending_decisions BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER journal_version_details_read_generation_insert AFTER INSERT ON journal_version_details BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER journal_version_details_read_generation_update AFTER UPDATE ON journal_version_details BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER journal_version_details_read_generation_delete AFTER DELETE ON journal_version_details BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER model_groups_read_generation_insert AFTER INSERT ON model_groups BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER model_groups_read_generation_update AFTER UPDATE ON model_groups BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER model_groups_read_generation_delete AFTER DELETE ON model_groups BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER model_versions_read_generation_insert AFTER INSERT ON model_versions BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER model_versions_read_generation_update AFTER UPDATE ON model_versions BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER model_versions_read_generation_delete AFTER DELETE ON model_versions BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER monitoring_series_read_generation_insert AFTER INSERT ON monitoring_series BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER monitoring_series_read_generation_update AFTER UPDATE ON monitoring_series BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER monitoring_series_read_generation_delete AFTER DELETE ON monitoring_series BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER people_read_generation_insert AFTER INSERT ON people BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER people_read_generation_update AFTER UPDATE ON people BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER people_read_generation_delete AFTER DELETE ON people BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER project_members_read_generation_insert AFTER INSERT ON project_members BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER project_members_read_generation_update AFTER UPDATE ON project_members BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER project_members_read_generation_delete AFTER DELETE ON project_members BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER project_setups_read_generation_insert AFTER INSERT ON project_setups BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER project_setups_read_generation_update AFTER UPDATE ON project_setups BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER project_setups_read_generation_delete AFTER DELETE ON project_setups BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER projects_read_generation_insert AFTER INSERT ON projects BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER projects_read_generation_update AFTER UPDATE ON projects BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER projects_read_generation_delete AFTER DELETE ON projects BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER registry_index_read_generation_insert AFTER INSERT ON registry_index BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER registry_index_read_generation_update AFTER UPDATE ON registry_index BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER registry_index_read_generation_delete AFTER DELETE ON registry_index BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER registry_index_groups_read_generation_insert AFTER INSERT ON registry_index_groups BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER registry_index_groups_read_generation_update AFTER UPDATE ON registry_index_groups BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER registry_index_groups_read_generation_delete AFTER DELETE ON registry_index_groups BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER registry_index_state_read_generation_insert AFTER INSERT ON registry_index_state BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER registry_index_state_read_generation_update AFTER UPDATE ON registry_index_state BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER registry_index_state_read_generation_delete AFTER DELETE ON registry_index_state BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER registry_state_changes_read_generation_insert AFTER INSERT ON registry_state_changes BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER registry_state_changes_read_generation_update AFTER UPDATE ON registry_state_changes BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER registry_state_changes_read_generation_delete AFTER DELETE ON registry_state_changes BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER registry_unmanaged_groups_read_generation_insert AFTER INSERT ON registry_unmanaged_groups BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER registry_unmanaged_groups_read_generation_update AFTER UPDATE ON registry_unmanaged_groups BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER registry_unmanaged_groups_read_generation_delete AFTER DELETE ON registry_unmanaged_groups BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER reviews_read_generation_insert AFTER INSERT ON reviews BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER reviews_read_generation_update AFTER UPDATE ON reviews BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER reviews_read_generation_delete AFTER DELETE ON reviews BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER subscriptions_read_generation_insert AFTER INSERT ON subscriptions BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER subscriptions_read_generation_update AFTER UPDATE ON subscriptions BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER subscriptions_read_generation_delete AFTER DELETE ON subscriptions BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER templates_read_generation_insert AFTER INSERT ON templates BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER templates_read_generation_update AFTER UPDATE ON templates BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER templates_read_generation_delete AFTER DELETE ON templates BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER test_runs_read_generation_insert AFTER INSERT ON test_runs BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER test_runs_read_generation_update AFTER UPDATE ON test_runs BEGIN UPDATE read_generation SET n = n + 1; END;
CREATE TRIGGER test_runs_read_generation_delete AFTER DELETE ON test_runs BEGIN UPDATE read_generation SET n = n + 1; END;
