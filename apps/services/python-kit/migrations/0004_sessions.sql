-- Sessions that can be ended: every session token carries its account's session version, and every authenticated
-- request compares it with this column (a primary-key lookup that also reads the current role), so signing out,
-- which bumps it, ends every session of the account, and a changed role or a deleted account counts at once.
ALTER TABLE users
    ADD COLUMN session_version INT UNSIGNED NOT NULL DEFAULT 0;
