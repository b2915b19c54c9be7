-- How each source fares run after run: its failed runs in a row, for the
-- sync.failed and sync.recovered events.
CREATE TABLE source_health (
  source_id INTEGER PRIMARY KEY REFERENCES sources (id) ON DELETE CASCADE,
  fail_streak INTEGER NOT NULL DEFAULT 0 CHECK (fail_streak >= 0),
  updated_at INTEGER NOT NULL
);
