-- `/readyz` writes here: ready means a write can commit (a full disk or a stuck lock says "not ready").
CREATE TABLE readiness_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at TEXT NOT NULL
);
