-- The pinned status board: one live message per cluster, edited as things change.
-- body_hash is the hash of the last text shown, so a restart does not edit for nothing;
-- pin_warned records that the group was told once that the bot may not pin.

CREATE TABLE status_boards (
    cluster_id   INTEGER PRIMARY KEY REFERENCES clusters (id),
    message_id   INTEGER,
    body_hash    TEXT,
    pin_warned   INTEGER NOT NULL DEFAULT 0,
    updated_at   TEXT    NOT NULL
);

-- Settings: keep the pinned board (on by default); answer /status with a picture too.
ALTER TABLE clusters ADD COLUMN board_enabled INTEGER NOT NULL DEFAULT 1;
ALTER TABLE clusters ADD COLUMN status_picture INTEGER NOT NULL DEFAULT 0;
