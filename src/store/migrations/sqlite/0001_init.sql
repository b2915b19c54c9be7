-- The first schema: sources, their slices, runs, orders and order items.
--
-- One logical schema for SQLite and PostgreSQL: plain types only, times as
-- INTEGER UTC seconds (0 for "never"), money as exact decimal TEXT plus
-- INTEGER minor units (never floating point), JSON kept as TEXT.
-- Runs inside one transaction opened by the store; no BEGIN/COMMIT here.

CREATE TABLE sources (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  connector TEXT NOT NULL,
  settings TEXT NOT NULL DEFAULT '{}',
  credentials TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL DEFAULT 0,
  last_sync_at INTEGER NOT NULL DEFAULT 0,
  last_error TEXT
);

CREATE TABLE slices (
  source_id INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
  stream TEXT NOT NULL,
  day TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'in_progress', 'completed', 'failed')),
  cursor TEXT,
  pages INTEGER NOT NULL DEFAULT 0,
  records INTEGER NOT NULL DEFAULT 0,
  inserted INTEGER NOT NULL DEFAULT 0,
  updated INTEGER NOT NULL DEFAULT 0,
  unchanged INTEGER NOT NULL DEFAULT 0,
  retries INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  started_at INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL DEFAULT 0,
  completed_at INTEGER NOT NULL DEFAULT 0,
  lease_owner TEXT NOT NULL DEFAULT '',
  lease_token INTEGER NOT NULL DEFAULT 0,
  lease_expires INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (source_id, stream, day)
);

CREATE INDEX slices_status ON slices (status);

CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  trigger TEXT NOT NULL,
  scope TEXT,
  started_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  slices_total INTEGER NOT NULL DEFAULT 0,
  slices_completed INTEGER NOT NULL DEFAULT 0,
  slices_failed INTEGER NOT NULL DEFAULT 0,
  pages INTEGER NOT NULL DEFAULT 0,
  records INTEGER NOT NULL DEFAULT 0,
  inserted INTEGER NOT NULL DEFAULT 0,
  updated INTEGER NOT NULL DEFAULT 0,
  unchanged INTEGER NOT NULL DEFAULT 0,
  requests INTEGER NOT NULL DEFAULT 0,
  retries INTEGER NOT NULL DEFAULT 0,
  rate_limited INTEGER NOT NULL DEFAULT 0,
  pid INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX runs_started ON runs (started_at);

CREATE TABLE orders (
  source_id INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
  external_id TEXT NOT NULL,
  name TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  status TEXT,
  financial_status TEXT,
  fulfillment_status TEXT,
  total_price TEXT,
  total_minor INTEGER,
  currency TEXT,
  raw TEXT NOT NULL,
  first_seen_at INTEGER NOT NULL,
  last_synced_at INTEGER NOT NULL,
  PRIMARY KEY (source_id, external_id)
);

-- external_id last: exports walk this index in order without sorting.
CREATE INDEX orders_created ON orders (source_id, created_at, external_id);

CREATE TABLE order_items (
  source_id INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
  order_external_id TEXT NOT NULL,
  external_id TEXT NOT NULL,
  line_no INTEGER NOT NULL DEFAULT 0,
  sku TEXT,
  title TEXT,
  quantity INTEGER NOT NULL DEFAULT 0,
  price TEXT,
  price_minor INTEGER,
  currency TEXT,
  price_missing INTEGER NOT NULL DEFAULT 0,
  price_estimated INTEGER NOT NULL DEFAULT 0,
  raw TEXT,
  PRIMARY KEY (source_id, order_external_id, external_id)
);
