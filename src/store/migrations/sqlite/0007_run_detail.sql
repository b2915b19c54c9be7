-- The sync log in detail, for the admin API: which schedule and job a run
-- served, why it failed, and the slices it finished (so a run can be
-- listed by source and shown with its days).
ALTER TABLE runs ADD COLUMN schedule_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN job_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN error TEXT;
CREATE INDEX runs_schedule ON runs (schedule_id, id);

CREATE TABLE run_slices (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  source_id INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
  stream TEXT NOT NULL,
  slice_key TEXT NOT NULL,
  status TEXT NOT NULL,
  pages INTEGER NOT NULL DEFAULT 0,
  records INTEGER NOT NULL DEFAULT 0,
  inserted INTEGER NOT NULL DEFAULT 0,
  updated INTEGER NOT NULL DEFAULT 0,
  retries INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  finished_at INTEGER NOT NULL,
  PRIMARY KEY (run_id, source_id, stream, slice_key)
);
CREATE INDEX run_slices_source ON run_slices (source_id, run_id);
