-- Telling people what awaits them: who can be told (as their last sign-in described them), the projects each
-- muted, the notices queued for their digests, and each person's digest delivery state.
CREATE TABLE recipients (
    subject      TEXT PRIMARY KEY,
    -- The person as the domain has it (name, address, personas per project), JSON.
    body         TEXT NOT NULL,
    seen_at      TEXT NOT NULL
);
CREATE TABLE notification_mutes (
    subject TEXT NOT NULL,
    project TEXT NOT NULL,
    PRIMARY KEY (subject, project)
);
-- One row per person and event: a redelivered event queues nothing twice.
CREATE TABLE digest_items (
    subject   TEXT NOT NULL,
    event_id  TEXT NOT NULL,
    notice    TEXT NOT NULL,
    queued_at TEXT NOT NULL,
    sent_at   TEXT,
    PRIMARY KEY (subject, event_id)
);
CREATE INDEX digest_items_unsent ON digest_items(subject, queued_at) WHERE sent_at IS NULL;
CREATE TABLE digests (
    subject         TEXT PRIMARY KEY,
    last_sent_at    TEXT,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error      TEXT,
    -- Set when the attempts ran out: the digest waits for a new notice (or an operator) to be tried again.
    dead_at         TEXT
);
