-- Report requests and confirmation requests (one table: reminders and status treat them
-- alike), the units each concerns, report submissions (every version kept) and answers.

CREATE TABLE requests (
    id              INTEGER PRIMARY KEY,
    cluster_id      INTEGER NOT NULL REFERENCES clusters (id),
    kind            TEXT    NOT NULL CHECK (kind IN ('report', 'confirmation')),
    title           TEXT    NOT NULL,
    deadline_at     TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'closed', 'cancelled')),
    file_types      TEXT    NOT NULL DEFAULT '',
    document_file_id TEXT,
    document_name   TEXT,
    message_id      INTEGER,
    created_by      INTEGER NOT NULL,
    created_at      TEXT    NOT NULL,
    closed_at       TEXT
);
CREATE INDEX requests_by_cluster ON requests (cluster_id, status);
CREATE INDEX requests_by_message ON requests (cluster_id, message_id);

CREATE TABLE request_units (
    request_id      INTEGER NOT NULL REFERENCES requests (id),
    unit_id         INTEGER NOT NULL REFERENCES units (id),
    PRIMARY KEY (request_id, unit_id)
);
CREATE INDEX request_units_by_unit ON request_units (unit_id);

CREATE TABLE submissions (
    id              INTEGER PRIMARY KEY,
    request_id      INTEGER NOT NULL REFERENCES requests (id),
    unit_id         INTEGER NOT NULL REFERENCES units (id),
    version         INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    submitted_at    TEXT    NOT NULL,
    late_seconds    INTEGER NOT NULL DEFAULT 0,
    file_name       TEXT    NOT NULL,
    stored_name     TEXT,
    file_size       INTEGER,
    mime_type       TEXT,
    sha256          TEXT,
    file_id         TEXT    NOT NULL,
    file_unique_id  TEXT    NOT NULL,
    caption         TEXT    NOT NULL DEFAULT '',
    storage         TEXT    NOT NULL CHECK (storage IN ('stored', 'too_big', 'failed')),
    review          TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (review IN ('pending', 'accepted', 'returned')),
    review_comment  TEXT,
    reviewed_by     INTEGER,
    reviewed_at     TEXT,
    UNIQUE (request_id, unit_id, version)
);
CREATE INDEX submissions_latest ON submissions (request_id, unit_id, version DESC);

-- A document whose request was ambiguous, waiting for the liaison's choice.
CREATE TABLE pending_documents (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL,
    chat_id         INTEGER NOT NULL,
    file_id         TEXT    NOT NULL,
    file_unique_id  TEXT    NOT NULL,
    file_name       TEXT,
    mime_type       TEXT,
    file_size       INTEGER,
    caption         TEXT    NOT NULL DEFAULT '',
    created_at      TEXT    NOT NULL
);

CREATE TABLE confirmations (
    request_id      INTEGER NOT NULL REFERENCES requests (id),
    unit_id         INTEGER NOT NULL REFERENCES units (id),
    status          TEXT    NOT NULL CHECK (status IN ('confirmed', 'commented')),
    comment         TEXT,
    user_id         INTEGER NOT NULL,
    answered_at     TEXT    NOT NULL,
    PRIMARY KEY (request_id, unit_id)
);
