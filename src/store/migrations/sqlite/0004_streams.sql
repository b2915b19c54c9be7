-- Streams described once: slices of every kind, watermarks, deletions.
--
-- Slices are named by a key of any kind (slice_key_make): "YYYY-MM-DD" (a
-- day), "modified" (a window of updates), "snapshot", "refetch:YYYY-MM-DD".
--   slice_key   the key (was: day)
--   kind        day, window, snapshot or refetch, from the key
--   day         the key's day for day and refetch slices, NULL for the others
--               (so that lists filter and sort by day)
--   watermark   a window: every record updated before it is stored
--   pass_start  a window: the API's time when the pass began (caps the watermark)
--   deleted     records marked deleted by the slice's pages
-- The old "repair-items" work lists (orders waiting for their items) become
-- refetch slices of stream "orders". Failed records keep their slice's key.
-- Records are never dropped when their source deletes them: deleted_at marks
-- them (record tables made from stream descriptions have it from the start).
-- Runs inside one transaction opened by the store; no BEGIN/COMMIT here.

ALTER TABLE slices RENAME COLUMN day TO slice_key;
ALTER TABLE slices ADD COLUMN kind TEXT NOT NULL DEFAULT 'day'
  CHECK (kind IN ('day', 'window', 'snapshot', 'refetch'));
ALTER TABLE slices ADD COLUMN day TEXT;
ALTER TABLE slices ADD COLUMN watermark INTEGER NOT NULL DEFAULT 0;
ALTER TABLE slices ADD COLUMN pass_start INTEGER NOT NULL DEFAULT 0;
ALTER TABLE slices ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;

UPDATE slices SET day = slice_key;
UPDATE slices SET stream = 'orders', kind = 'refetch', slice_key = 'refetch:' || slice_key
  WHERE stream = 'repair-items';

CREATE INDEX slices_day ON slices (day, source_id, stream);

ALTER TABLE failed_records RENAME COLUMN day TO slice_key;
-- A record failing in both streams keeps its "orders" failure.
UPDATE failed_records SET stream = 'orders', slice_key = 'refetch:' || slice_key
  WHERE stream = 'repair-items' AND NOT EXISTS (SELECT 1 FROM failed_records o
    WHERE o.source_id = failed_records.source_id AND o.stream = 'orders'
    AND o.external_id = failed_records.external_id AND o.resolved_at IS NULL
    AND failed_records.resolved_at IS NULL);

ALTER TABLE orders ADD COLUMN deleted_at INTEGER;
ALTER TABLE order_items ADD COLUMN deleted_at INTEGER;
