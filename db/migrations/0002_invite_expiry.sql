-- Invites are single-use and expire: a leaked link must not attach strangers for ever.
ALTER TABLE invites ADD COLUMN expires_at TEXT;
