-- Facts about this database itself, e.g. whether the first start's demo seeding finished (key demo_seed:
-- 'started', then 'complete'): a first start that crashed midway is seeded again from scratch.
CREATE TABLE portal_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
