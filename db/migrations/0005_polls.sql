-- Nomination polls (bình xét). The roll is frozen when a poll opens. Open ballots are
-- linked to their unit and may change until closing. Secret ballots are kept apart from
-- the roll with nothing that links them: one ballot box per poll holds every secret ballot,
-- sorted by content and rewritten whole at each cast, so neither a row, a key, a time nor
-- the physical order on a page says who cast which.

CREATE TABLE polls (
    id               INTEGER PRIMARY KEY,
    cluster_id       INTEGER NOT NULL REFERENCES clusters (id),
    title            TEXT    NOT NULL,
    closes_at        TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    candidates       TEXT    NOT NULL,          -- JSON list of names
    candidate_units  TEXT    NOT NULL,          -- JSON list: unit id per candidate, or null
    ranked           INTEGER NOT NULL DEFAULT 0,
    max_choices      INTEGER NOT NULL DEFAULT 1,
    threshold        TEXT    NOT NULL DEFAULT '50',      -- percent, as a fraction "a/b"
    quorum           TEXT    NOT NULL DEFAULT '200/3',
    self_vote        INTEGER NOT NULL DEFAULT 0,
    secret           INTEGER NOT NULL DEFAULT 1,
    close_when_all   INTEGER NOT NULL DEFAULT 0,
    result_posted    INTEGER NOT NULL DEFAULT 0,
    message_id       INTEGER,
    created_by       INTEGER NOT NULL,
    created_at       TEXT    NOT NULL,
    closed_at        TEXT
);
CREATE INDEX polls_by_cluster ON polls (cluster_id, status);

-- The voter roll: who may vote for each unit, and whether the unit has voted (no time).
CREATE TABLE poll_roll (
    poll_id          INTEGER NOT NULL REFERENCES polls (id),
    unit_id          INTEGER NOT NULL REFERENCES units (id),
    voter_user_id    INTEGER,
    has_voted        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (poll_id, unit_id)
);

CREATE TABLE open_ballots (
    poll_id          INTEGER NOT NULL REFERENCES polls (id),
    unit_id          INTEGER NOT NULL REFERENCES units (id),
    marks            TEXT    NOT NULL,          -- JSON list of candidate indices
    PRIMARY KEY (poll_id, unit_id)
);

CREATE TABLE ballot_boxes (
    poll_id          INTEGER PRIMARY KEY REFERENCES polls (id),
    ballots          TEXT    NOT NULL DEFAULT '[]'  -- JSON list of mark lists, sorted
);
