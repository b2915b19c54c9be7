-- Accounts own sources; users are admins, or members of accounts; users
-- reach the admin API with API tokens.
--
-- Rules kept by the database itself:
--   - account and user names are unique;
--   - a membership names a user and an account that exist, once; it goes
--     with either of them;
--   - a token belongs to a user that exists and goes with it; its hash is
--     unique (the token itself is never stored, only its hash and the few
--     characters shown to people);
--   - a source belongs to no account (NULL: visible to admins only) or to
--     one that exists; an account that owns sources cannot be removed.
-- Ids are AUTOINCREMENT: a removed user's or token's id never names another
-- one, so an old log line or audit entry cannot point at a newcomer.
-- Runs inside one transaction opened by the store; no BEGIN/COMMIT here.

CREATE TABLE accounts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 63),
  created_at INTEGER NOT NULL CHECK (created_at > 0)
);

CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 63),
  admin INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
  password_hash TEXT,
  created_at INTEGER NOT NULL CHECK (created_at > 0)
);

CREATE TABLE user_accounts (
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, account_id)
);

CREATE INDEX user_accounts_account ON user_accounts (account_id);

CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  label TEXT NOT NULL DEFAULT '',
  hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  created_at INTEGER NOT NULL CHECK (created_at > 0),
  last_used_at INTEGER NOT NULL DEFAULT 0,
  revoked_at INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- NO ACTION: removing an account that still owns sources fails (the store
-- says which sources first; this is the backstop).
ALTER TABLE sources ADD COLUMN account_id INTEGER REFERENCES accounts (id);

CREATE INDEX sources_account ON sources (account_id);
