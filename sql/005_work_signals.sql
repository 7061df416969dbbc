-- addon-lifecycle schema, version 5: ingest never waits on a worker.
--
-- Until now ingest made a subscription's `work` row due with INSERT … ON CONFLICT DO UPDATE, and
-- that locks the conflicting row even when nothing changes: a group commit of up to 1,000
-- unrelated events waited for any worker holding one of its subscriptions for a whole batch.
--
-- Now ingest only appends a signal per subscription with new pending events: a plain insert that
-- conflicts with nothing. `work` keeps timers and retry backoff and is written by workers alone. A
-- worker owns a subscription while it folds it through a transaction-scoped advisory lock on
-- `work_lock_key` (released on commit, rollback or a lost connection), and deletes only the
-- signals it read before it loaded the events, so a signal committed later stays for the next fold.
--
-- Upgrading (README, "Upgrading"): stop every `work` process of an earlier version, migrate,
-- start the new `work` processes, then roll `serve`. Old and new workers must not run together
-- (they own a subscription in different ways), and old workers never read signals. Until the
-- last old `serve` is gone, the trigger below turns the wake-up an old ingest (or an old
-- `events retry`) writes into `work` into a signal as well, so a new worker folding that
-- subscription at that moment cannot overwrite it. Existing due `work` rows are claimed as timers.
CREATE TABLE work_signals (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project         text NOT NULL,
    subscription    text NOT NULL,
    -- For `addon_queue_oldest_due_age_seconds`.
    created_at      timestamptz NOT NULL DEFAULT now()
) WITH (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000);
-- `pendingWork` of one subscription, and the lookup of its signals after a failed batch.
CREATE INDEX work_signals_subscription_idx ON work_signals (project, subscription);

-- The advisory lock key of a subscription: one 64-bit hash, the same in every process. A collision
-- only makes two subscriptions wait for each other.
CREATE FUNCTION work_lock_key(project text, subscription text) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT hashtextextended(project || chr(31) || subscription, 5) $$;

-- The wake-ups of earlier versions (a `work` row made due now): also a signal. Workers of this
-- version only write future timers and backoffs, which it leaves alone.
CREATE FUNCTION work_signal_from_due_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.due_at <= now() THEN
        INSERT INTO work_signals (project, subscription) VALUES (NEW.project, NEW.subscription);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER work_signal_from_due_row AFTER INSERT OR UPDATE OF due_at ON work
    FOR EACH ROW EXECUTE FUNCTION work_signal_from_due_row();
