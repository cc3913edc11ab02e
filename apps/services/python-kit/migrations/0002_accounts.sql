-- Accounts: a password hash (argon2id, in the hash's own encoded form) and a role. Users created before this
-- migration have no password and cannot sign in. One ALTER per table: InnoDB applies it whole or not at all.
ALTER TABLE users
    ADD COLUMN password_hash VARCHAR(255) NULL,
    ADD COLUMN role ENUM('customer', 'admin') NOT NULL DEFAULT 'customer';
