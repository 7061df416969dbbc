-- addon-lifecycle schema, version 1.
-- History tables (events, transitions) are append-mostly and indexed for replay and export.
-- Hot tables (work) stay small: one row per subscription with pending work or a timer.

-- The inbox: every accepted webhook, exactly as received. Dedup is the primary key and outlives
-- processing, so a provider's retry of an old event is still a duplicate.
CREATE TABLE events (
    id              text PRIMARY KEY,
    -- Arrival order, for stable export/paging cursors.
    seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    type            text NOT NULL,
    project         text NOT NULL,
    -- The subscription the event is about (null for ignored types that name none).
    subscription    text,
    -- Logical time: when the thing happened (the envelope's `time`).
    time            timestamptz NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    -- The raw body, byte for byte as received (export re-emits it), and the audit headers.
    body            text NOT NULL,
    headers         jsonb NOT NULL DEFAULT '{}',
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'processed', 'failed', 'ignored')),
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text,
    processed_at    timestamptz
);
-- The worker folds all facts of one subscription: load them in logical order.
CREATE INDEX events_subscription_idx ON events (project, subscription, time, id);
-- Export and replay read the log in logical order, optionally from a time.
CREATE INDEX events_time_idx ON events (time, id);
-- Operators list failed events; pending ones are found per subscription. Partial: stays tiny.
CREATE INDEX events_unfinished_idx ON events (status, seq) WHERE status IN ('pending', 'failed');

-- The work queue: one row per subscription that has unprocessed events or a future timer.
-- Claimed with FOR UPDATE SKIP LOCKED ordered by due_at; deleted when nothing is left to do.
CREATE TABLE work (
    project         text NOT NULL,
    subscription    text NOT NULL,
    due_at          timestamptz NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text,
    PRIMARY KEY (project, subscription)
) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000);
CREATE INDEX work_due_idx ON work (due_at);

-- Materialized state of each subscription add-on, as of its last evaluation by a worker.
CREATE TABLE subscription_addons (
    project         text NOT NULL,
    id              text NOT NULL,
    -- Stable newest-first paging without depending on logical times that late facts may move.
    seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    subscription    text NOT NULL,
    addon_id        text NOT NULL,
    -- The add-on object from the earliest subscriptionAddon.created event.
    addon           jsonb NOT NULL,
    status          text NOT NULL CHECK (status IN ('pending', 'active', 'ended')),
    created_at      timestamptz NOT NULL,
    eligible_at     timestamptz,
    activated_at    timestamptz,
    ended_at        timestamptz,
    canceled_at     timestamptz,
    end_reason      text CHECK (end_reason IN ('expired', 'periodEnded', 'canceled', 'subscriptionEnded')),
    period_number   integer,
    period_start    timestamptz,
    period_end      timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project, id)
);
CREATE INDEX subscription_addons_subscription_idx ON subscription_addons (project, subscription, seq);
CREATE INDEX subscription_addons_addon_idx ON subscription_addons (project, addon_id, seq);
CREATE INDEX subscription_addons_status_idx ON subscription_addons (project, status, seq);

-- The outbox: each transition recorded once, with its logical time (not the worker's clock).
CREATE TABLE transitions (
    seq                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project             text NOT NULL,
    subscription_addon  text NOT NULL,
    subscription        text NOT NULL,
    kind                text NOT NULL CHECK (kind IN ('activated', 'ended')),
    at                  timestamptz NOT NULL,
    end_reason          text CHECK (end_reason IN ('expired', 'periodEnded', 'canceled', 'subscriptionEnded')),
    recorded_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT transitions_once UNIQUE (project, subscription_addon, kind),
    CONSTRAINT transitions_reason CHECK ((kind = 'ended') = (end_reason IS NOT NULL))
);
CREATE INDEX transitions_subscription_idx ON transitions (project, subscription, at);
