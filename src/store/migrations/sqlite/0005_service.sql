-- The service: schedules make jobs, workers claim jobs under leases, and
-- what happened becomes events, delivered to webhooks.
--
-- Rules kept by the database itself, so that no caller (nor a second
-- process racing this one) can break them by checking first and writing
-- after:
--   - a schedule's name is unique, and a due time of a schedule becomes at
--     most one job (jobs_schedule_due);
--   - no two jobs that hold their targets (available, running, retryable)
--     share one: job_targets has a row per target held, its primary key
--     refuses the second holder, and the triggers below keep it in step
--     with the jobs' states;
--   - a running job has a lease owner.
-- Ids are AUTOINCREMENT: a removed schedule's or webhook's id never names
-- another one, a job's (id, lease token) pair is never reused, and event
-- ids keep rising after old events are pruned (webhooks keep a cursor on
-- them).
-- Jobs and events are history: removing a schedule leaves its jobs with no
-- schedule (NULL), removing a source leaves its events with no source id,
-- keeping the source's name in source_name.
-- Runs inside one transaction opened by the store; no BEGIN/COMMIT here.

CREATE TABLE schedules (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  spec TEXT NOT NULL CHECK (json_valid(spec)),
  timezone TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_due INTEGER NOT NULL DEFAULT 0,
  day_runs INTEGER NOT NULL DEFAULT 0,
  next_due INTEGER NOT NULL DEFAULT 0,
  last_run_id INTEGER NOT NULL DEFAULT 0,
  last_status TEXT NOT NULL DEFAULT ''
);

CREATE TABLE jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  schedule_id INTEGER REFERENCES schedules (id) ON DELETE SET NULL,
  due INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL DEFAULT 'available'
    CHECK (state IN ('available', 'running', 'retryable', 'completed', 'failed', 'cancelled')),
  trigger TEXT NOT NULL,
  request TEXT NOT NULL CHECK (json_valid(request)),
  targets TEXT NOT NULL DEFAULT '[]'
    CHECK (CASE WHEN json_valid(targets) THEN json_type(targets) = 'array' ELSE 0 END),
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
  run_after INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  started_at INTEGER NOT NULL DEFAULT 0,
  finished_at INTEGER NOT NULL DEFAULT 0,
  lease_owner TEXT NOT NULL DEFAULT '',
  lease_token INTEGER NOT NULL DEFAULT 0,
  lease_expires INTEGER NOT NULL DEFAULT 0,
  run_id INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  CHECK (state <> 'running' OR lease_owner <> '')
);

-- Claims look for waiting jobs by state and run_after; counts group by state.
CREATE INDEX jobs_state ON jobs (state, run_after, id);
-- A schedule's jobs, newest first; also what ON DELETE SET NULL looks up.
CREATE INDEX jobs_schedule ON jobs (schedule_id, id);
-- One job per due time of a schedule (jobs made by hand have due 0).
CREATE UNIQUE INDEX jobs_schedule_due ON jobs (schedule_id, due)
  WHERE schedule_id IS NOT NULL AND due > 0;

-- The targets ("source/stream/mode") held by jobs that are available,
-- running or retryable: one holder each.
CREATE TABLE job_targets (
  target TEXT PRIMARY KEY,
  job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE INDEX job_targets_job ON job_targets (job_id);

CREATE TRIGGER jobs_hold_when_queued AFTER INSERT ON jobs
  WHEN new.state IN ('available', 'running', 'retryable')
BEGIN
  INSERT INTO job_targets (target, job_id) SELECT value, new.id FROM json_each(new.targets);
END;

CREATE TRIGGER jobs_hold_when_requeued AFTER UPDATE OF state ON jobs
  WHEN old.state NOT IN ('available', 'running', 'retryable')
    AND new.state IN ('available', 'running', 'retryable')
BEGIN
  INSERT INTO job_targets (target, job_id) SELECT value, new.id FROM json_each(new.targets);
END;

CREATE TRIGGER jobs_let_go_when_done AFTER UPDATE OF state ON jobs
  WHEN old.state IN ('available', 'running', 'retryable')
    AND new.state NOT IN ('available', 'running', 'retryable')
BEGIN
  DELETE FROM job_targets WHERE job_id = new.id;
END;

-- What a job covers is fixed when it is made: job_targets relies on it.
CREATE TRIGGER jobs_targets_fixed BEFORE UPDATE OF targets ON jobs
  WHEN new.targets IS NOT old.targets
BEGIN
  SELECT RAISE(ABORT, 'the targets of a job do not change once it is queued');
END;

CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  source_id INTEGER REFERENCES sources (id) ON DELETE SET NULL,
  source_name TEXT,
  stream TEXT NOT NULL DEFAULT '',
  record_id TEXT,
  data TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data)),
  created_at INTEGER NOT NULL
);

-- A source's events, in order; also what the source's removal looks up.
CREATE INDEX events_source ON events (source_id, id);

-- An event outlives its source and still says whose it was.
CREATE TRIGGER sources_name_their_events BEFORE DELETE ON sources
BEGIN
  UPDATE events SET source_name = old.name WHERE source_id = old.id;
END;

CREATE TABLE webhooks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  url TEXT NOT NULL UNIQUE,
  events TEXT NOT NULL DEFAULT '*',
  secret TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(secret)),
  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  created_at INTEGER NOT NULL,
  delivered_id INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  retry_at INTEGER NOT NULL DEFAULT 0,
  last_error TEXT
);
