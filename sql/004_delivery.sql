-- addon-lifecycle schema, version 4: outbound delivery (SPEC §6).

-- The transition log becomes the outbox: besides `activated` and `ended` (each once per add-on), it
-- records corrections (`updated`, numbered per add-on), the view of the add-on each entry announced
-- (which the next fold compares with), and, when an endpoint of the project will receive it, its
-- event id and body (the same for every endpoint).
ALTER TABLE transitions DROP CONSTRAINT transitions_once;
ALTER TABLE transitions DROP CONSTRAINT transitions_kind_check;
ALTER TABLE transitions
    ADD COLUMN correction        integer NOT NULL DEFAULT 0,
    ADD COLUMN event_id          text,
    ADD COLUMN payload           text,
    ADD COLUMN view_status       text,
    ADD COLUMN view_created_at   timestamptz,
    ADD COLUMN view_activated_at timestamptz,
    ADD COLUMN view_ended_at     timestamptz,
    ADD COLUMN view_canceled_at  timestamptz,
    ADD COLUMN view_end_reason   text,
    ADD COLUMN view_period_start timestamptz,
    ADD COLUMN view_period_end   timestamptz,
    ADD COLUMN view_addon_hash   bigint,
    ADD CONSTRAINT transitions_kind CHECK (kind IN ('activated', 'ended', 'updated')),
    ADD CONSTRAINT transitions_once UNIQUE (project, subscription_addon, kind, correction);
-- Only entries some endpoint receives have an event id (and a body).
CREATE UNIQUE INDEX transitions_event_idx ON transitions (event_id) WHERE event_id IS NOT NULL;

-- The operator's HTTP endpoints, per project. `failing_since`: the first failed attempt since the
-- last delivered one (disabled as `failing` once that is `DELIVERY_DISABLE_AFTER` old).
CREATE TABLE webhook_endpoints (
    id                          text PRIMARY KEY,
    project                     text NOT NULL,
    seq                         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    url                         text NOT NULL,
    event_types                 text[],
    description                 text,
    status                      text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
    disabled_reason             text CHECK (disabled_reason IN ('operator', 'gone', 'failing')),
    secret                      text NOT NULL,
    previous_secret             text,
    previous_secret_expires_at  timestamptz,
    failing_since               timestamptz,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_endpoints_disabled CHECK ((status = 'disabled') = (disabled_reason IS NOT NULL))
);
CREATE INDEX webhook_endpoints_project_idx ON webhook_endpoints (project, seq);

-- One message per outbox entry and endpoint, created in the worker's transaction. Messages of one
-- (endpoint, subscription) form a queue in `seq` order: only its oldest pending message (the head)
-- carries a `next_attempt_at`, and only while its endpoint is enabled, so a claim is an index range
-- on `next_attempt_at` and the order holds without a scan. `claim` is the token of the delivering
-- process's lease (a killed process's lease runs out and the message is attempted again).
CREATE TABLE webhook_messages (
    seq                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id         text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    transition_seq      bigint NOT NULL,
    subscription        text NOT NULL,
    status              text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts            integer NOT NULL DEFAULT 0,
    next_attempt_at     timestamptz,
    claim               bigint,
    created_at          timestamptz NOT NULL DEFAULT now(),
    delivered_at        timestamptz,
    last_attempt_at     timestamptz,
    last_status_code    integer,
    last_duration_ms    integer,
    last_error          text,
    last_response_body  text,
    CONSTRAINT webhook_messages_once UNIQUE (endpoint_id, transition_seq)
) WITH (fillfactor = 80);
CREATE INDEX webhook_messages_due_idx ON webhook_messages (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhook_messages_queue_idx ON webhook_messages (endpoint_id, subscription, seq) WHERE status = 'pending';
-- `GET …/messages?status=failed` without walking every delivered message; failing is rare, so
-- this costs nothing while deliveries succeed.
CREATE INDEX webhook_messages_failed_idx ON webhook_messages (endpoint_id, transition_seq) WHERE status = 'failed';
-- An endpoint's messages are listed by `transition_seq` through `webhook_messages_once`: every
-- index here costs two entries per delivery (the claim and the outcome each write a new row
-- version), so there is no index on (endpoint_id, seq).

-- Every attempt that did not deliver, for the operator (the message keeps its last attempt, so a
-- delivered message's successful attempt is there).
CREATE TABLE webhook_attempts (
    seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_seq     bigint NOT NULL,
    attempted_at    timestamptz NOT NULL,
    status_code     integer,
    duration_ms     integer NOT NULL,
    error           text,
    response_body   text
);
CREATE INDEX webhook_attempts_message_idx ON webhook_attempts (message_seq);

-- Subscriptions being retried after a failure (`/metrics`: addon_queue_retrying): a partial index,
-- tiny while all is well.
CREATE INDEX work_retrying_idx ON work (due_at) WHERE attempts > 0;
