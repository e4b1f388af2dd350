-- Foundation: clusters (one Telegram group each), units, people, liaisons,
-- join requests, invite links, dialogue state and handled updates.
-- Timestamps are ISO-8601 UTC text; Telegram ids are integers.

CREATE TABLE clusters (
    id            INTEGER PRIMARY KEY,
    chat_id       INTEGER NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    year          INTEGER,
    locale        TEXT    NOT NULL DEFAULT 'vi',
    tz            TEXT    NOT NULL DEFAULT 'Asia/Ho_Chi_Minh',
    join_policy   TEXT    NOT NULL DEFAULT 'approve' CHECK (join_policy IN ('approve', 'open')),
    lead_unit_id  INTEGER REFERENCES units (id),
    created_by    INTEGER NOT NULL,
    created_at    TEXT    NOT NULL
);

CREATE TABLE units (
    id            INTEGER PRIMARY KEY,
    cluster_id    INTEGER NOT NULL REFERENCES clusters (id),
    code          TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    voter_user_id INTEGER,
    created_at    TEXT    NOT NULL,
    UNIQUE (cluster_id, code)
);

-- Everyone the bot has met; `started` is set once the person opened the private chat.
CREATE TABLE people (
    user_id       INTEGER PRIMARY KEY,
    first_name    TEXT    NOT NULL,
    last_name     TEXT,
    username      TEXT,
    language_code TEXT,
    locale        TEXT,
    started       INTEGER NOT NULL DEFAULT 0,
    blocked       INTEGER NOT NULL DEFAULT 0,
    updated_at    TEXT    NOT NULL
);

-- One unit per person per cluster; a unit may have several liaisons.
CREATE TABLE liaisons (
    cluster_id    INTEGER NOT NULL REFERENCES clusters (id),
    user_id       INTEGER NOT NULL REFERENCES people (user_id),
    unit_id       INTEGER NOT NULL REFERENCES units (id),
    via           TEXT    NOT NULL CHECK (via IN ('approved', 'open', 'invite')),
    approved_by   INTEGER,
    joined_at     TEXT    NOT NULL,
    PRIMARY KEY (cluster_id, user_id)
);
CREATE INDEX liaisons_by_unit ON liaisons (unit_id);

CREATE TABLE join_requests (
    id            INTEGER PRIMARY KEY,
    cluster_id    INTEGER NOT NULL REFERENCES clusters (id),
    user_id       INTEGER NOT NULL REFERENCES people (user_id),
    unit_id       INTEGER NOT NULL REFERENCES units (id),
    status        TEXT    NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
    message_id    INTEGER,
    created_at    TEXT    NOT NULL,
    decided_by    INTEGER,
    decided_at    TEXT
);
CREATE UNIQUE INDEX join_requests_one_pending
    ON join_requests (cluster_id, user_id) WHERE status = 'pending';

CREATE TABLE invites (
    id            INTEGER PRIMARY KEY,
    token         TEXT    NOT NULL UNIQUE,
    cluster_id    INTEGER NOT NULL REFERENCES clusters (id),
    unit_id       INTEGER NOT NULL REFERENCES units (id),
    created_by    INTEGER NOT NULL,
    created_at    TEXT    NOT NULL,
    revoked_at    TEXT,
    uses          INTEGER NOT NULL DEFAULT 0
);

-- A guided dialogue waiting for one person's next text in one chat.
CREATE TABLE dialogues (
    chat_id       INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    kind          TEXT    NOT NULL,
    state         TEXT    NOT NULL DEFAULT '{}',
    prompt_message_id INTEGER,
    created_at    TEXT    NOT NULL,
    PRIMARY KEY (chat_id, user_id)
);

-- Updates whose effects are committed: a redelivered one is not acted on twice.
CREATE TABLE handled_updates (
    update_id     INTEGER PRIMARY KEY,
    handled_at    TEXT    NOT NULL
);

-- Who did what, for the exported journal (Nhật ký).
CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    cluster_id    INTEGER REFERENCES clusters (id),
    user_id       INTEGER,
    action        TEXT    NOT NULL,
    detail        TEXT    NOT NULL DEFAULT '',
    at            TEXT    NOT NULL
);
CREATE INDEX audit_log_by_cluster ON audit_log (cluster_id, at);
