-- addon-lifecycle schema, version 6: marking an event processed is a heap-only (HOT) update.
--
-- Workers mark every event processed. That update set `status`, a column named in the predicate
-- of events_failed_idx, and PostgreSQL cannot make such an update heap-only: each event got a
-- second entry in every index of the table (id, subscription, time) and the WAL for them. The
-- failed index now names `last_error`, which only failing an event sets and a retry clears (a
-- constraint keeps the two in step; NOT VALID: existing rows already are, and a big table is not
-- scanned here). Lists of failed events say both. Free space on each new page lets the new
-- version of a row stay on its page.
ALTER TABLE events ADD CONSTRAINT events_failed_has_error CHECK ((status = 'failed') = (last_error IS NOT NULL)) NOT VALID;
DROP INDEX events_failed_idx;
CREATE INDEX events_failed_idx ON events (seq) WHERE last_error IS NOT NULL;
ALTER TABLE events SET (fillfactor = 85);
