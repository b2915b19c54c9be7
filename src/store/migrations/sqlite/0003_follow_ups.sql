-- Follow-up requests (the items of each order, fetched one order at a time)
-- are kept by the store, apart from the connector's listing cursor: after a
-- restart of a day, orders already stored unchanged with their items are
-- not queued again, so every restart makes progress.
--   listed        the listing of the slice is done; only follow-ups remain
--   follow        JSON array of the ids still waiting for their items
--   follow_cursor the next items page of the first of them
-- Runs inside one transaction opened by the store; no BEGIN/COMMIT here.

ALTER TABLE slices ADD COLUMN listed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE slices ADD COLUMN follow TEXT;
ALTER TABLE slices ADD COLUMN follow_cursor TEXT;

-- Repair work lists kept the ids in their cursor: move them.
UPDATE slices SET listed = 1, follow = json_extract(cursor, '$.p'),
  follow_cursor = json_extract(cursor, '$.i'), cursor = NULL
  WHERE stream = 'repair-items' AND json_valid(cursor);

-- Days left midway with a cursor of the old shape start again from their
-- first page: safe, as stored records are upserted, never duplicated.
UPDATE slices SET cursor = NULL WHERE cursor LIKE '{%' AND status <> 'completed';
