-- Executions, attempts, flow headers and the event log (model.md §1, §2).
-- Rows inserted straight into these tables with only the seed's columns must be served like any
-- other, so every column beyond those has a default or is nullable.

CREATE FUNCTION ff_public_state(phase text, eligibility text, outcome text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE phase
    WHEN 'terminal' THEN CASE outcome
        WHEN 'success' THEN 'completed' WHEN 'failed' THEN 'failed' WHEN 'cancelled' THEN 'cancelled'
        WHEN 'expired' THEN 'expired' WHEN 'skipped' THEN 'skipped' ELSE 'failed' END
    WHEN 'suspended' THEN 'suspended'
    WHEN 'active' THEN 'active'
    ELSE CASE eligibility
        WHEN 'not_eligible_until_time' THEN 'delayed'
        WHEN 'blocked_by_dependencies' THEN 'waiting_children'
        WHEN 'blocked_by_budget' THEN 'rate_limited'
        WHEN 'blocked_by_quota' THEN 'rate_limited'
        ELSE 'waiting' END
  END
$$;

CREATE TABLE ff_exec_core (
    partition_key          smallint    NOT NULL,
    execution_id           uuid        NOT NULL,
    flow_id                uuid,
    namespace              text        NOT NULL DEFAULT 'default',
    lane_id                text        NOT NULL,
    kind                   text,
    attempt_index          integer     NOT NULL DEFAULT 0,
    lifecycle_phase        text        NOT NULL DEFAULT 'runnable'
        CHECK (lifecycle_phase IN ('submitted', 'runnable', 'active', 'suspended', 'terminal')),
    ownership_state        text        NOT NULL DEFAULT 'unowned'
        CHECK (ownership_state IN ('unowned', 'leased', 'lease_expired_reclaimable', 'lease_revoked')),
    eligibility_state      text        NOT NULL DEFAULT 'eligible_now'
        CHECK (eligibility_state IN ('eligible_now', 'not_eligible_until_time', 'blocked_by_dependencies',
            'blocked_by_budget', 'blocked_by_quota', 'blocked_by_route', 'blocked_by_operator', 'not_applicable')),
    public_state           text        NOT NULL DEFAULT 'waiting'
        CHECK (public_state IN ('waiting', 'delayed', 'rate_limited', 'waiting_children', 'active', 'suspended',
            'completed', 'failed', 'cancelled', 'expired', 'skipped')),
    attempt_state          text        NOT NULL DEFAULT 'pending_first_attempt'
        CHECK (attempt_state IN ('pending_first_attempt', 'running_attempt', 'attempt_interrupted',
            'pending_retry_attempt', 'pending_replay_attempt', 'attempt_terminal')),
    blocking_reason        text,
    terminal_outcome       text
        CHECK (terminal_outcome IN ('success', 'failed', 'cancelled', 'expired', 'skipped')),
    priority               integer     NOT NULL DEFAULT 0,
    created_at_ms          bigint      NOT NULL,
    started_at_ms          bigint,
    terminal_at_ms         bigint,
    delay_until_ms         bigint,
    deadline_at_ms         bigint,
    required_capabilities  text[]      NOT NULL DEFAULT '{}',
    tags                   jsonb       NOT NULL DEFAULT '{}',
    input                  jsonb,
    result                 jsonb,
    last_error             jsonb,
    progress_percent       smallint,
    progress_message       text,
    idempotency_key        text,
    retry_policy           jsonb,
    attempt_timeout_ms     bigint,
    budget_ids             uuid[]      NOT NULL DEFAULT '{}',
    quota_policy_id        uuid,
    -- highest lease epoch issued for this execution: every new holder gets a higher one
    lease_epoch            bigint      NOT NULL DEFAULT 0,
    attempt_count          integer     NOT NULL DEFAULT 0,
    retry_count            integer     NOT NULL DEFAULT 0,
    reclaim_count          integer     NOT NULL DEFAULT 0,
    cancel_reason          text,
    raw_fields             jsonb       NOT NULL DEFAULT '{}',
    PRIMARY KEY (partition_key, execution_id)
);

CREATE UNIQUE INDEX ff_exec_core_id ON ff_exec_core (execution_id);
CREATE UNIQUE INDEX ff_exec_core_idempotency ON ff_exec_core (namespace, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
-- The claim path: one ordered scan per lane across all partitions.
CREATE INDEX ff_exec_core_claim ON ff_exec_core (lane_id, namespace, priority DESC, created_at_ms)
    WHERE lifecycle_phase = 'runnable' AND eligibility_state = 'eligible_now';
CREATE INDEX ff_exec_core_delayed ON ff_exec_core (delay_until_ms)
    WHERE eligibility_state = 'not_eligible_until_time';
CREATE INDEX ff_exec_core_deadline ON ff_exec_core (deadline_at_ms)
    WHERE deadline_at_ms IS NOT NULL AND lifecycle_phase <> 'terminal';
CREATE INDEX ff_exec_core_recent ON ff_exec_core (created_at_ms DESC, execution_id DESC);
CREATE INDEX ff_exec_core_flow ON ff_exec_core (flow_id) WHERE flow_id IS NOT NULL;

-- public_state is derived in one place, in the statement that changes the vector.
CREATE FUNCTION ff_exec_core_derive() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.public_state := ff_public_state(NEW.lifecycle_phase, NEW.eligibility_state, NEW.terminal_outcome);
    RETURN NEW;
END
$$;
CREATE TRIGGER ff_exec_core_derive_insert BEFORE INSERT ON ff_exec_core
    FOR EACH ROW EXECUTE FUNCTION ff_exec_core_derive();
CREATE TRIGGER ff_exec_core_derive_update BEFORE UPDATE OF lifecycle_phase, eligibility_state, terminal_outcome, public_state
    ON ff_exec_core FOR EACH ROW EXECUTE FUNCTION ff_exec_core_derive();

CREATE TABLE ff_attempt (
    partition_key          smallint    NOT NULL,
    execution_id           uuid        NOT NULL,
    attempt_index          integer     NOT NULL,
    attempt_type           text        NOT NULL DEFAULT 'initial'
        CHECK (attempt_type IN ('initial', 'retry', 'reclaim', 'replay')),
    lease_epoch            bigint      NOT NULL DEFAULT 0,
    -- the last lease held on this attempt; kept after the lease ends so a late caller is told why
    lease_id               uuid,
    worker_id              text,
    worker_instance_id     text,
    -- null = no live lease
    lease_expires_at_ms    bigint,
    timeout_at_ms          bigint,
    started_at_ms          bigint,
    terminal_at_ms         bigint,
    outcome                text
        CHECK (outcome IN ('success', 'failed', 'retry', 'cancelled', 'expired', 'interrupted', 'lease_expired')),
    error                  jsonb,
    next_attempt_at_ms     bigint,
    raw_fields             jsonb       NOT NULL DEFAULT '{}',
    PRIMARY KEY (partition_key, execution_id, attempt_index)
);

CREATE INDEX ff_attempt_lease_expiry ON ff_attempt (lease_expires_at_ms) WHERE lease_expires_at_ms IS NOT NULL;
CREATE INDEX ff_attempt_timeout ON ff_attempt (timeout_at_ms)
    WHERE timeout_at_ms IS NOT NULL AND lease_expires_at_ms IS NOT NULL;

CREATE TABLE ff_flow_core (
    partition_key          smallint    NOT NULL,
    flow_id                uuid        NOT NULL,
    graph_revision         bigint      NOT NULL DEFAULT 0,
    public_flow_state      text        NOT NULL DEFAULT 'open'
        CHECK (public_flow_state IN ('open', 'running', 'blocked', 'completed', 'failed', 'cancelled')),
    created_at_ms          bigint      NOT NULL,
    terminal_at_ms         bigint,
    namespace              text        NOT NULL DEFAULT 'default',
    kind                   text,
    raw_fields             jsonb       NOT NULL DEFAULT '{}',
    PRIMARY KEY (partition_key, flow_id)
);

CREATE UNIQUE INDEX ff_flow_core_id ON ff_flow_core (flow_id);

-- Every state change writes one row here in its own transaction (api.md §7).
CREATE TABLE ff_event (
    event_id               bigserial   PRIMARY KEY,
    type                   text        NOT NULL,
    execution_id           uuid,
    flow_id                uuid,
    partition_key          smallint,
    at_ms                  bigint      NOT NULL,
    data                   jsonb       NOT NULL DEFAULT '{}'
);
