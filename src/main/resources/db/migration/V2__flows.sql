-- Flows (api.md §3): edges, join groups, what resolution needs, and the durable cancel backlog.
-- Every row carries its flow's partition_key (co-location, api.md §0.3).

-- Who cancelled a member when flow machinery did it. A member cancelled by its group's
-- cancel_remaining does not make the flow 'cancelled' (api.md §3, flow state rule).
ALTER TABLE ff_exec_core ADD COLUMN cancelled_by text
    CHECK (cancelled_by IN ('cancel_remaining', 'flow_cancel'));

-- An execution that leaves the terminal phase (replay) forgets who cancelled it, so a later
-- cancel by someone else is never mistaken for a cancel_remaining one.
CREATE FUNCTION ff_exec_core_forget_canceller() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.cancelled_by := NULL;
    RETURN NEW;
END
$$;
CREATE TRIGGER ff_exec_core_forget_canceller BEFORE UPDATE OF lifecycle_phase ON ff_exec_core
    FOR EACH ROW WHEN (NEW.lifecycle_phase <> 'terminal' AND NEW.cancelled_by IS NOT NULL)
    EXECUTE FUNCTION ff_exec_core_forget_canceller();

-- Members waiting for their dependencies, for the repair sweep.
CREATE INDEX ff_exec_core_gated ON ff_exec_core (partition_key, execution_id)
    WHERE eligibility_state = 'blocked_by_dependencies';

-- The {ref: execution_id} map of the call that created the flow, answered again on a repeat.
ALTER TABLE ff_flow_core ADD COLUMN node_refs jsonb;

-- The state an edge takes from its upstream: pending until the upstream is terminal; then
-- 'success' satisfies every edge and any other end satisfies only 'completion' edges.
CREATE FUNCTION ff_edge_state(condition text, upstream_phase text, upstream_outcome text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN upstream_phase IS DISTINCT FROM 'terminal' THEN 'pending'
    WHEN condition = 'completion' OR upstream_outcome = 'success' THEN 'satisfied'
    ELSE 'impossible' END
$$;

-- One dependency: downstream waits for upstream to satisfy condition. state is 'pending' until the
-- upstream is terminal, then 'satisfied' or 'impossible' for good.
CREATE TABLE ff_edge (
    partition_key          smallint    NOT NULL,
    edge_id                uuid        NOT NULL,
    flow_id                uuid        NOT NULL,
    upstream_id            uuid        NOT NULL,
    downstream_id          uuid        NOT NULL,
    condition              text        NOT NULL DEFAULT 'success'
        CHECK (condition IN ('success', 'completion')),
    state                  text        NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'satisfied', 'impossible')),
    created_at_ms          bigint      NOT NULL,
    resolved_at_ms         bigint,
    PRIMARY KEY (partition_key, edge_id),
    CHECK (upstream_id <> downstream_id)
);

-- One edge per pair; also the resolution path (outgoing edges of a finished upstream) and the cycle walk.
CREATE UNIQUE INDEX ff_edge_pair ON ff_edge (partition_key, upstream_id, downstream_id);
-- Group evaluation: the incoming edges of a downstream.
CREATE INDEX ff_edge_downstream ON ff_edge (partition_key, downstream_id);
-- GET /v1/flows/{id}/edges, oldest first.
CREATE INDEX ff_edge_flow ON ff_edge (flow_id, created_at_ms, edge_id);
-- Repair sweep: edges still waiting for their upstream.
CREATE INDEX ff_edge_pending ON ff_edge (upstream_id) WHERE state = 'pending';

-- How a downstream joins its incoming edges; no row means all_of.
CREATE TABLE ff_edge_group (
    partition_key          smallint    NOT NULL,
    downstream_id          uuid        NOT NULL,
    flow_id                uuid        NOT NULL,
    policy                 text        NOT NULL DEFAULT 'all_of'
        CHECK (policy IN ('all_of', 'any_of', 'quorum')),
    k                      integer     CHECK (k >= 1),
    on_satisfied           text        NOT NULL DEFAULT 'cancel_remaining'
        CHECK (on_satisfied IN ('cancel_remaining', 'let_run')),
    updated_at_ms          bigint      NOT NULL,
    PRIMARY KEY (partition_key, downstream_id),
    CHECK ((policy = 'quorum') = (k IS NOT NULL))
);

-- A flow cancel as requested: the stored answer of every repeat.
CREATE TABLE ff_cancel_backlog (
    partition_key          smallint    NOT NULL,
    flow_id                uuid        NOT NULL,
    policy                 text        NOT NULL
        CHECK (policy IN ('cancel_all', 'cancel_pending', 'cancel_flow_only')),
    reason                 text,
    requested_at_ms        bigint      NOT NULL,
    PRIMARY KEY (partition_key, flow_id)
);

-- Member cancels still owed ('pending'), done ('cancelled') or found unnecessary ('dropped': the member
-- ended otherwise, or took a lease under cancel_pending). Flow cancels and the cancel_remaining
-- cancels that found a sibling busy both wait here, so a crash loses none of them.
CREATE TABLE ff_cancel_backlog_member (
    partition_key          smallint    NOT NULL,
    flow_id                uuid        NOT NULL,
    execution_id           uuid        NOT NULL,
    cause                  text        NOT NULL CHECK (cause IN ('flow_cancel', 'cancel_remaining')),
    only_unleased          boolean     NOT NULL DEFAULT false,
    reason                 text,
    state                  text        NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'cancelled', 'dropped')),
    enqueued_at_ms         bigint      NOT NULL,
    done_at_ms             bigint,
    PRIMARY KEY (partition_key, flow_id, execution_id, cause)
);

CREATE INDEX ff_cancel_backlog_member_pending ON ff_cancel_backlog_member (enqueued_at_ms)
    WHERE state = 'pending';
-- A flow's owed cancels (its cancel call drains and counts them).
CREATE INDEX ff_cancel_backlog_member_flow ON ff_cancel_backlog_member (flow_id) WHERE state = 'pending';
