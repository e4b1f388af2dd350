-- Meetings with RSVPs, reminder settings, and the log of reminders sent: the database is
-- the schedule, JobQueue only wakes the bot at the next due instant.

ALTER TABLE clusters ADD COLUMN reminder_offsets TEXT NOT NULL DEFAULT '259200;86400;7200';
ALTER TABLE clusters ADD COLUMN digest_time TEXT NOT NULL DEFAULT '08:00';
ALTER TABLE clusters ADD COLUMN quiet_start TEXT NOT NULL DEFAULT '21:00';
ALTER TABLE clusters ADD COLUMN quiet_end TEXT NOT NULL DEFAULT '07:00';
ALTER TABLE clusters ADD COLUMN overdue_daily INTEGER NOT NULL DEFAULT 1;
-- When the default offsets last changed: offsets count from then for items that use them.
ALTER TABLE clusters ADD COLUMN offsets_changed_at TEXT;

-- NULL: the cluster's default offsets.
ALTER TABLE requests ADD COLUMN reminder_offsets TEXT;

CREATE TABLE meetings (
    id              INTEGER PRIMARY KEY,
    cluster_id      INTEGER NOT NULL REFERENCES clusters (id),
    title           TEXT    NOT NULL,
    starts_at       TEXT    NOT NULL,
    place           TEXT    NOT NULL,
    agenda          TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL DEFAULT 'scheduled'
                    CHECK (status IN ('scheduled', 'cancelled', 'closed')),
    reminder_offsets TEXT,
    message_id      INTEGER,
    created_by      INTEGER NOT NULL,
    created_at      TEXT    NOT NULL
);
CREATE INDEX meetings_by_cluster ON meetings (cluster_id, status);

CREATE TABLE rsvps (
    meeting_id      INTEGER NOT NULL REFERENCES meetings (id),
    unit_id         INTEGER NOT NULL REFERENCES units (id),
    status          TEXT    NOT NULL CHECK (status IN ('attend', 'absent')),
    attendees       TEXT    NOT NULL DEFAULT '',
    user_id         INTEGER NOT NULL,
    answered_at     TEXT    NOT NULL,
    PRIMARY KEY (meeting_id, unit_id)
);

-- One row per reminder slot handled: (item kind, item id, slot name). `sent_at` is set only
-- after Telegram accepted the group message; private copies held by quiet hours wait until
-- `private_due`.
CREATE TABLE reminders_sent (
    item_kind       TEXT    NOT NULL CHECK (item_kind IN ('request', 'meeting', 'cluster')),
    item_id         INTEGER NOT NULL,
    slot            TEXT    NOT NULL,
    due_at          TEXT    NOT NULL,
    sent_at         TEXT    NOT NULL,
    skipped         INTEGER NOT NULL DEFAULT 0,
    private_due     TEXT,
    -- What the held private copies are (before | overdue | daily) and whether late.
    kind            TEXT,
    catch_up        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (item_kind, item_id, slot)
);
CREATE INDEX reminders_private_pending ON reminders_sent (private_due) WHERE private_due IS NOT NULL;
