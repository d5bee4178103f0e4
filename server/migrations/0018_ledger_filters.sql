-- The audit page filters by person and the events page by type: each through an index in chain/outbox order,
-- so a filtered page reads its rows, not the whole log.
CREATE INDEX audit_log_actor ON audit_log(actor, seq);
CREATE INDEX events_detail_type ON events(detail_type, seq);
