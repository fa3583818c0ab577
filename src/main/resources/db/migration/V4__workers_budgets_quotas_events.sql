-- Worker registry, budgets and quotas at admission, and the event outbox relay (api.md §2.1, §6, §7).

-- ---- worker registry ----------------------------------------------------------------------------
-- One row per live worker process. A row past expires_at_ms is dead: heartbeats no longer revive
-- it and the TTL sweep deletes it.
CREATE TABLE ff_worker (
    worker_instance_id     text        PRIMARY KEY,
    worker_id              text        NOT NULL,
    namespace              text        NOT NULL DEFAULT 'default',
    lanes                  text[]      NOT NULL DEFAULT '{}',
    capabilities           text[]      NOT NULL DEFAULT '{}',
    liveness_ttl_ms        bigint      NOT NULL CHECK (liveness_ttl_ms > 0),
    registered_at_ms       bigint      NOT NULL,
    last_heartbeat_ms      bigint      NOT NULL,
    expires_at_ms          bigint      NOT NULL
);
CREATE INDEX ff_worker_namespace ON ff_worker (namespace, worker_instance_id);
CREATE INDEX ff_worker_expiry ON ff_worker (expires_at_ms);

-- ---- budgets ------------------------------------------------------------------------------------
CREATE TABLE ff_budget (
    budget_id              uuid        PRIMARY KEY,
    scope                  text        NOT NULL CHECK (scope IN ('execution', 'flow', 'namespace')),
    -- canonical text of the scoped id (lowercase uuid) or the namespace name
    scope_id               text        NOT NULL,
    reset_interval_ms      bigint      NOT NULL DEFAULT 0 CHECK (reset_interval_ms >= 0),
    next_reset_at_ms       bigint,
    -- true while any dimension is at or over its hard limit, or a report was refused since the
    -- last reset: bound executions are not claimed meanwhile
    exhausted              boolean     NOT NULL DEFAULT false,
    breach_count           bigint      NOT NULL DEFAULT 0,
    soft_breach_count      bigint      NOT NULL DEFAULT 0,
    last_breach_at_ms      bigint,
    last_breach_dimension  text,
    last_reset_at_ms       bigint,
    created_at_ms          bigint      NOT NULL,
    updated_at_ms          bigint      NOT NULL
);
-- The claim and the eligibility gate look only at exhausted budgets: usually none.
CREATE INDEX ff_budget_exhausted ON ff_budget (scope, scope_id) WHERE exhausted;
CREATE INDEX ff_budget_reset_due ON ff_budget (next_reset_at_ms) WHERE next_reset_at_ms IS NOT NULL;

-- One row per (budget, dimension): its limits (null = none) and its usage since the last reset.
CREATE TABLE ff_budget_usage (
    budget_id              uuid        NOT NULL REFERENCES ff_budget ON DELETE CASCADE,
    dimension              text        NOT NULL,
    hard_limit             bigint      CHECK (hard_limit >= 0),
    soft_limit             bigint      CHECK (soft_limit >= 0),
    usage                  bigint      NOT NULL DEFAULT 0,
    updated_at_ms          bigint      NOT NULL,
    PRIMARY KEY (budget_id, dimension)
);

-- A usage report with a dedup_key is applied once; repeats answer `duplicate` until expiry.
CREATE TABLE ff_budget_dedup (
    budget_id              uuid        NOT NULL REFERENCES ff_budget ON DELETE CASCADE,
    dedup_key              text        NOT NULL,
    outcome                jsonb       NOT NULL,
    applied_at_ms          bigint      NOT NULL,
    expires_at_ms          bigint      NOT NULL,
    PRIMARY KEY (budget_id, dedup_key)
);
CREATE INDEX ff_budget_dedup_expiry ON ff_budget_dedup (expires_at_ms);

-- What each execution spent against a budget (reports that named an execution).
CREATE TABLE ff_budget_exec_usage (
    budget_id              uuid        NOT NULL REFERENCES ff_budget ON DELETE CASCADE,
    execution_id           uuid        NOT NULL,
    dimension              text        NOT NULL,
    total                  bigint      NOT NULL,
    updated_at_ms          bigint      NOT NULL,
    PRIMARY KEY (budget_id, execution_id, dimension)
);

-- The binding rule of api.md §6, in one place: a budget binds an execution by its scope
-- (the execution itself, every member of the flow, every execution of the namespace) or by
-- the execution's budget_ids. Inlined by the planner.
CREATE FUNCTION ff_budget_binds(scope text, scope_id text, budget_id uuid, e_namespace text, e_flow_id uuid,
                                e_execution_id uuid, e_budget_ids uuid[]) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE scope
           WHEN 'namespace' THEN scope_id = e_namespace
           WHEN 'flow' THEN scope_id = e_flow_id::text
           ELSE scope_id = e_execution_id::text
         END
      OR budget_id = ANY(e_budget_ids)
$$;

-- An execution that becomes claimable while a budget binding it is exhausted waits as
-- blocked_by_budget instead (it shows rate_limited). Fires only on the way into eligible_now, so
-- the claim and the terminal transitions never run it; it is named to run before
-- ff_exec_core_derive_*, which derives public_state from the result.
CREATE FUNCTION ff_exec_core_budget_gate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM ff_budget b
               WHERE b.exhausted
                 AND ff_budget_binds(b.scope, b.scope_id, b.budget_id, NEW.namespace, NEW.flow_id,
                                     NEW.execution_id, NEW.budget_ids)) THEN
        NEW.eligibility_state := 'blocked_by_budget';
        NEW.blocking_reason := 'waiting_for_budget';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER ff_exec_core_budget_gate_insert BEFORE INSERT ON ff_exec_core FOR EACH ROW
    WHEN (NEW.eligibility_state = 'eligible_now' AND NEW.lifecycle_phase = 'runnable')
    EXECUTE FUNCTION ff_exec_core_budget_gate();
CREATE TRIGGER ff_exec_core_budget_gate_update BEFORE UPDATE OF eligibility_state ON ff_exec_core FOR EACH ROW
    WHEN (NEW.eligibility_state = 'eligible_now' AND NEW.lifecycle_phase = 'runnable'
          AND OLD.eligibility_state IS DISTINCT FROM 'eligible_now')
    EXECUTE FUNCTION ff_exec_core_budget_gate();

-- Executions waiting for a budget reset.
CREATE INDEX ff_exec_core_budget_blocked ON ff_exec_core (namespace) WHERE eligibility_state = 'blocked_by_budget';

-- ---- quotas -------------------------------------------------------------------------------------
CREATE TABLE ff_quota_policy (
    quota_policy_id        uuid        PRIMARY KEY,
    window_ms              bigint      NOT NULL CHECK (window_ms > 0),
    max_per_window         bigint      CHECK (max_per_window > 0),
    max_concurrent         bigint      CHECK (max_concurrent > 0),
    created_at_ms          bigint      NOT NULL
);

-- A policy's limits are split into stripes whose shares add up to the limits. A claim admits
-- against one stripe it locks with SKIP LOCKED, so concurrent claimers of one policy do not
-- queue on one row, and a locked stripe's counters are the ones the last admitter committed:
-- no over-admission. A lease frees a slot of the stripe that admitted it.
CREATE TABLE ff_quota_stripe (
    quota_policy_id        uuid        NOT NULL REFERENCES ff_quota_policy ON DELETE CASCADE,
    stripe                 smallint    NOT NULL,
    window_ms              bigint      NOT NULL,
    window_share           bigint,
    concurrent_share       bigint,
    -- admissions recorded in ff_quota_window for this stripe and not yet pruned
    window_count           bigint      NOT NULL DEFAULT 0,
    -- leases holding a slot of this stripe (attempts naming it)
    concurrent_count       bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (quota_policy_id, stripe)
);

-- Admissions by time, one row per admitting claim statement and stripe; pruned past the window.
CREATE TABLE ff_quota_window (
    quota_policy_id        uuid        NOT NULL,
    stripe                 smallint    NOT NULL,
    admitted_at_ms         bigint      NOT NULL,
    admitted               bigint      NOT NULL,
    PRIMARY KEY (quota_policy_id, stripe, admitted_at_ms),
    FOREIGN KEY (quota_policy_id, stripe) REFERENCES ff_quota_stripe ON DELETE CASCADE
);

-- The concurrency holder: set on the attempt whose live lease holds a slot, cleared (and the slot
-- freed) when that lease ends.
ALTER TABLE ff_attempt ADD COLUMN quota_policy_id uuid, ADD COLUMN quota_stripe smallint;

-- ---- events -------------------------------------------------------------------------------------
-- Readers must never skip an event that commits after a later id became visible. An id is drawn
-- only after its transaction has an xid, so once every transaction that was running when an id
-- was visible has ended, no smaller id can still appear (EventService.safeHorizon).
ALTER TABLE ff_event ALTER COLUMN event_id SET DEFAULT
    (CASE WHEN pg_current_xact_id() IS NOT NULL THEN nextval('ff_event_event_id_seq'::regclass) END);
CREATE INDEX ff_event_execution ON ff_event (execution_id, event_id) WHERE execution_id IS NOT NULL;
CREATE INDEX ff_event_flow ON ff_event (flow_id, event_id) WHERE flow_id IS NOT NULL;

-- Progress of the outbox relays (one row per relay), with a lease so one replica publishes at a time.
CREATE TABLE ff_event_relay (
    relay                  text        PRIMARY KEY,
    last_event_id          bigint      NOT NULL DEFAULT 0,
    owner                  text,
    lease_until_ms         bigint      NOT NULL DEFAULT 0,
    updated_at_ms          bigint      NOT NULL DEFAULT 0
);
