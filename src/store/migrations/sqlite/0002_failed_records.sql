-- Records that could not be stored: kept with their raw JSON and the
-- reason, in the same transaction as the rest of their page, so one bad
-- record never fails its whole day and nothing is lost. `marketsync failed
-- list` shows the open ones, `marketsync failed retry` stores them again.
-- Runs inside one transaction opened by the store; no BEGIN/COMMIT here.

CREATE TABLE failed_records (
  id INTEGER PRIMARY KEY,
  source_id INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
  stream TEXT NOT NULL,
  day TEXT NOT NULL,
  external_id TEXT,
  raw TEXT NOT NULL,
  error TEXT NOT NULL,
  first_failed_at INTEGER NOT NULL,
  last_failed_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 1,
  resolved_at INTEGER
);

-- At most one open failure per record: a record failing again is counted
-- on its row. Records without an id (NULL) each get a row of their own.
CREATE UNIQUE INDEX failed_records_open ON failed_records (source_id, stream, external_id)
  WHERE resolved_at IS NULL;

ALTER TABLE slices ADD COLUMN failed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN failed INTEGER NOT NULL DEFAULT 0;
