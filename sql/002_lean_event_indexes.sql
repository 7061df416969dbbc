-- addon-lifecycle schema, version 2: fewer index insertions per accepted webhook.
-- Every index on events costs each ingested event a B-tree insertion (and WAL), which is most of
-- what PostgreSQL spends on ingest. Two of them earned nothing on the hot path:
--  - seq's UNIQUE index: seq is only an ordering for operator lists, never looked up by value;
--  - pending rows in events_unfinished_idx: workers find pending events per subscription through
--    events_subscription_idx, and queue depth and age come from the work table.
-- Failed events, which operators list newest first, keep a partial index that stays tiny.
ALTER TABLE events DROP CONSTRAINT events_seq_key;
DROP INDEX events_unfinished_idx;
CREATE INDEX events_failed_idx ON events (seq) WHERE status = 'failed';
