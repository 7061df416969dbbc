-- addon-lifecycle schema, version 3: what ingest accepts, the workers can always store.

-- The add-on object as json, not jsonb. jsonb cannot hold every number JSON can (`1e999999`
-- overflows numeric; `1e131071` becomes 128 KiB of digits), so one legal webhook could make every
-- write of its subscription fail. json keeps the provider's text as received (key order and number
-- literals too), which is also what the API returns.
ALTER TABLE subscription_addons ALTER COLUMN addon TYPE json USING addon::json;

-- Each subscription add-on belongs to one subscription: the first whose `created` event was stored
-- names it. Ingest refuses (422) a `created` naming it under another subscription, and workers and
-- replay ignore such facts, so one add-on's state never flips between two subscriptions. Events
-- stored before this version are taken in logical order (time, id), as replay reads an export.
CREATE TABLE subscription_addon_owners (
    project         text NOT NULL,
    id              text NOT NULL,
    subscription    text NOT NULL,
    PRIMARY KEY (project, id)
);
INSERT INTO subscription_addon_owners (project, id, subscription)
SELECT DISTINCT ON (project, sad) project, sad, subscription
FROM (SELECT project, subscription, time, id, body::json -> 'data' ->> 'id' AS sad
      FROM events WHERE type = 'com.gigs.subscriptionAddon.created' AND subscription IS NOT NULL) created
WHERE sad IS NOT NULL
ORDER BY project, sad, time, id;

-- Before this version such `created` events were stored, and the workers of both subscriptions
-- overwrote each other's state of the add-on. Those of a non-owner become `failed` (operators see
-- why; a retry is refused), the transitions a non-owner recorded for the add-on go (the owner's
-- fold records its own), and both subscriptions are folded again.
WITH foreign_created AS (
    SELECT c.id, c.project, c.subscription, o.subscription AS owner, c.sad
    FROM (SELECT id, project, subscription, body::json -> 'data' ->> 'id' AS sad
          FROM events WHERE type = 'com.gigs.subscriptionAddon.created' AND subscription IS NOT NULL) c
    JOIN subscription_addon_owners o ON o.project = c.project AND o.id = c.sad
    WHERE o.subscription <> c.subscription
), failed AS (
    UPDATE events SET status = 'failed',
        last_error = 'subscriptionAddon ' || f.sad || ' belongs to subscription ' || f.owner
    FROM foreign_created f WHERE events.id = f.id
    RETURNING f.project, f.subscription, f.owner
)
INSERT INTO work (project, subscription, due_at)
SELECT DISTINCT project, subscription, now() FROM (
    SELECT project, subscription FROM failed UNION SELECT project, owner FROM failed
) affected
ON CONFLICT (project, subscription) DO UPDATE SET due_at = now();

DELETE FROM transitions t USING subscription_addon_owners o
WHERE t.project = o.project AND t.subscription_addon = o.id AND t.subscription <> o.subscription;
