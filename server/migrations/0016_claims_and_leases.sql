-- Several replicas (issue 14): a delivery is claimed by one dispatcher at a time (`claimed_by` until
-- `claimed_until`, then anyone's again), and work only one replica may do runs under a lease. The SQLite store
-- runs as one process, but shares the SQL that claims and leases with the PostgreSQL store.
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE deliveries ADD COLUMN claimed_until TEXT;

CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
