-- The SKU report's summary: sales per source, UTC day, SKU and currency,
-- written by report_refresh, and the days whose orders changed since.
--
-- Computing the report from the orders takes 11 s for a year of a million
-- of them (see docs/reports.md); the summary makes it a read of one small
-- row per SKU, currency and day (2 s). It never makes the report wrong: a day is
-- read from the summary only when the source was refreshed and nothing of
-- that day changed since; every other day is counted from the orders.
--
-- What marks a day changed, in the same transaction as the change:
--   - an order inserted, replaced by a newer copy, marked deleted or
--     brought back (its line items and refunds are written with it, so they
--     are covered by it): the store marks the days of a page at its end
--     (store/sqlite/skus.c, sku_days_flush), as a trigger on every insert
--     or update of orders cost each a statement journal, an eighth of a
--     first sync's instructions;
--   - an order deleted (its source removed): the trigger below;
--   - an estimated price set on a line (child_estimate);
--   - a follow-up page of an order's lines (Amazon's items come one order at
--     a time, after the order itself): it moves its slice's list of orders
--     waiting, whose first entry is the order whose lines were just written.
-- Triggers on the lines themselves would cost every stored line a statement
-- journal (+10% of the instructions of a sync).
-- Runs inside one transaction opened by the store; no BEGIN/COMMIT here.

CREATE TABLE sku_daily (
  source_id INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
  day INTEGER NOT NULL,         -- UTC day of the orders' created_at: created_at / 86400
  sku TEXT NOT NULL,            -- '' for lines without a SKU
  currency TEXT NOT NULL,       -- '' for lines without a currency
  units INTEGER NOT NULL,
  revenue INTEGER NOT NULL,     -- minor units of the currency
  orders INTEGER NOT NULL,      -- distinct orders of that day
  refunded INTEGER NOT NULL,    -- units refunded
  unpriced INTEGER NOT NULL,    -- units without a price
  last_sold INTEGER NOT NULL,   -- the newest created_at
  PRIMARY KEY (source_id, day, sku, currency)
) WITHOUT ROWID;

-- The sources whose every day is in sku_daily, except the days in
-- sku_dirty.
CREATE TABLE sku_refreshed (
  source_id INTEGER PRIMARY KEY REFERENCES sources (id) ON DELETE CASCADE,
  refreshed_at INTEGER NOT NULL
);

-- Days changed since their summary was written. No reference to sources:
-- removing a source deletes its orders, whose trigger marks their days; the
-- next refresh drops the marks of sources that are gone.
CREATE TABLE sku_dirty (
  source_id INTEGER NOT NULL,
  day INTEGER NOT NULL,
  PRIMARY KEY (source_id, day)
) WITHOUT ROWID;

CREATE TRIGGER orders_mark_sku_day_gone AFTER DELETE ON orders
BEGIN
  INSERT OR IGNORE INTO sku_dirty (source_id, day) VALUES (OLD.source_id, OLD.created_at / 86400);
END;

-- Only child_estimate writes price_estimated (a record never does: it is a
-- local column), so the lines' own inserts and upserts carry no trigger.
CREATE TRIGGER order_items_mark_sku_day_estimated AFTER UPDATE OF price_estimated ON order_items
BEGIN
  INSERT OR IGNORE INTO sku_dirty (source_id, day)
  SELECT source_id, created_at / 86400 FROM orders
  WHERE source_id = NEW.source_id AND external_id = NEW.order_external_id;
END;

-- Every page of a slice writes its list of orders waiting for their lines;
-- a follow-up page is always of the first of them.
CREATE TRIGGER slices_mark_sku_day_followed AFTER UPDATE OF follow ON slices
WHEN NEW.stream = 'orders' AND coalesce(OLD.follow, '[]') <> '[]'
BEGIN
  INSERT OR IGNORE INTO sku_dirty (source_id, day)
  SELECT source_id, created_at / 86400 FROM orders
  WHERE source_id = OLD.source_id AND external_id = json_extract(OLD.follow, '$[0]');
END;
