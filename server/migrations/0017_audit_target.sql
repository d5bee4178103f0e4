-- An evidence pack reads every audit entry about one version: by target, in chain order.
CREATE INDEX audit_log_target ON audit_log(target, seq);
