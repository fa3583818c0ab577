-- Suspensions, waitpoints, signals, waitpoint HMAC keys (api.md §4) and attempt output streams (§5).
-- Rows carry their execution's partition_key. No foreign keys, like V1: rows seeded straight into
-- ff_exec_core must be served, and retention deletes by age.

-- The keyring all replicas share. A key signs while active (activated, not rotated away); it
-- verifies while valid_until_ms is null or in the future. Config-seeded keys that never signed
-- verify with no end until a rotation retires them.
CREATE TABLE ff_waitpoint_key (
    kid                    text        PRIMARY KEY CHECK (kid ~ '^[A-Za-z0-9._-]{1,64}$'),
    secret                 bytea       NOT NULL CHECK (octet_length(secret) >= 32),
    origin                 text        NOT NULL CHECK (origin IN ('config', 'generated', 'admin')),
    created_at_ms          bigint      NOT NULL,
    activated_at_ms        bigint,
    rotated_at_ms          bigint,
    valid_until_ms         bigint,
    previous_kid           text
);
-- At most one signing key: concurrent first boots race on this index, and one of them wins.
CREATE UNIQUE INDEX ff_waitpoint_key_active ON ff_waitpoint_key ((true))
    WHERE activated_at_ms IS NOT NULL AND rotated_at_ms IS NULL;

-- One row per suspend call. state: active until it resolves, then closed with close_reason
-- satisfied | already_satisfied | timeout | execution_ended. resume_pending: the resume claim has
-- not yet picked up its signals.
CREATE TABLE ff_suspension (
    partition_key          smallint    NOT NULL,
    suspension_id          uuid        NOT NULL,
    execution_id           uuid        NOT NULL,
    attempt_index          integer     NOT NULL,
    state                  text        NOT NULL CHECK (state IN ('active', 'closed')),
    close_reason           text
        CHECK (close_reason IN ('satisfied', 'already_satisfied', 'timeout', 'execution_ended')),
    reason                 text        NOT NULL,
    condition              jsonb       NOT NULL,
    timeout_at_ms          bigint,
    on_timeout             text        NOT NULL CHECK (on_timeout IN ('fail', 'cancel', 'expire', 'resume')),
    lease_id               uuid        NOT NULL,
    lease_epoch            bigint      NOT NULL,
    idempotency_key        text,
    request_digest         text,
    -- the first answer, returned verbatim (so as text) to a repeat with the same idempotency key
    response               text        NOT NULL,
    resume_pending         boolean     NOT NULL DEFAULT false,
    created_at_ms          bigint      NOT NULL,
    closed_at_ms           bigint,
    PRIMARY KEY (partition_key, suspension_id)
);
CREATE UNIQUE INDEX ff_suspension_id ON ff_suspension (suspension_id);
CREATE UNIQUE INDEX ff_suspension_open ON ff_suspension (execution_id) WHERE state = 'active';
CREATE UNIQUE INDEX ff_suspension_idempotency ON ff_suspension (execution_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX ff_suspension_timeout ON ff_suspension (timeout_at_ms)
    WHERE state = 'active' AND timeout_at_ms IS NOT NULL;
CREATE INDEX ff_suspension_resume_pending ON ff_suspension (execution_id) WHERE resume_pending;

CREATE TABLE ff_waitpoint (
    partition_key          smallint    NOT NULL,
    waitpoint_id           uuid        NOT NULL,
    execution_id           uuid        NOT NULL,
    key                    text        NOT NULL,
    state                  text        NOT NULL CHECK (state IN ('pending', 'active', 'closed', 'expired')),
    suspension_id          uuid,
    token_kid              text        NOT NULL,
    created_at_ms          bigint      NOT NULL,
    expires_at_ms          bigint,
    activated_at_ms        bigint,
    closed_at_ms           bigint,
    PRIMARY KEY (partition_key, waitpoint_id)
);
CREATE UNIQUE INDEX ff_waitpoint_id ON ff_waitpoint (waitpoint_id);
CREATE INDEX ff_waitpoint_execution ON ff_waitpoint (execution_id, created_at_ms, waitpoint_id);
-- One open waitpoint per key and execution: signals by key and suspend attach to it.
CREATE UNIQUE INDEX ff_waitpoint_open_key ON ff_waitpoint (execution_id, key)
    WHERE state IN ('pending', 'active');
CREATE INDEX ff_waitpoint_pending_expiry ON ff_waitpoint (expires_at_ms)
    WHERE state = 'pending' AND expires_at_ms IS NOT NULL;
CREATE INDEX ff_waitpoint_suspension ON ff_waitpoint (suspension_id) WHERE suspension_id IS NOT NULL;

-- Accepted signals, in acceptance order (seq). suspension_id is set once the signal counts toward
-- a suspension (at once on an active waitpoint; at suspend time for one buffered on a pending one).
CREATE TABLE ff_signal (
    partition_key          smallint    NOT NULL,
    signal_id              uuid        NOT NULL,
    seq                    bigint      GENERATED ALWAYS AS IDENTITY,
    execution_id           uuid        NOT NULL,
    waitpoint_id           uuid,
    key                    text,
    suspension_id          uuid,
    name                   text        NOT NULL,
    source                 text,
    payload                jsonb,
    idempotency_key        text,
    accepted_at_ms         bigint      NOT NULL,
    PRIMARY KEY (partition_key, signal_id)
);
CREATE UNIQUE INDEX ff_signal_idempotency ON ff_signal (execution_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX ff_signal_waitpoint ON ff_signal (waitpoint_id, seq);
CREATE INDEX ff_signal_suspension ON ff_signal (suspension_id, seq) WHERE suspension_id IS NOT NULL;

-- One row per attempt that has output: the seq counter (its row lock orders appends) and the
-- number of best-effort frames kept.
CREATE TABLE ff_stream (
    partition_key          smallint    NOT NULL,
    execution_id           uuid        NOT NULL,
    attempt_index          integer     NOT NULL,
    last_seq               bigint      NOT NULL,
    best_effort_count      integer     NOT NULL DEFAULT 0,
    created_at_ms          bigint      NOT NULL,
    last_append_at_ms      bigint      NOT NULL,
    PRIMARY KEY (partition_key, execution_id, attempt_index)
);

CREATE TABLE ff_stream_frame (
    partition_key          smallint    NOT NULL,
    execution_id           uuid        NOT NULL,
    attempt_index          integer     NOT NULL,
    seq                    bigint      NOT NULL,
    frame_type             text        NOT NULL,
    mode                   text        NOT NULL CHECK (mode IN ('durable', 'summary', 'best_effort')),
    payload                jsonb       NOT NULL,
    at_ms                  bigint      NOT NULL,
    PRIMARY KEY (partition_key, execution_id, attempt_index, seq)
);
CREATE INDEX ff_stream_frame_best_effort ON ff_stream_frame (partition_key, execution_id, attempt_index, seq)
    WHERE mode = 'best_effort';
CREATE INDEX ff_stream_frame_age ON ff_stream_frame (at_ms);

-- The attempt's summary document: every summary frame is merged into it (RFC 7386).
CREATE TABLE ff_stream_summary (
    partition_key          smallint    NOT NULL,
    execution_id           uuid        NOT NULL,
    attempt_index          integer     NOT NULL,
    document               jsonb       NOT NULL,
    version                bigint      NOT NULL,
    first_applied_at_ms    bigint      NOT NULL,
    updated_at_ms          bigint      NOT NULL,
    PRIMARY KEY (partition_key, execution_id, attempt_index)
);

-- RFC 7386 JSON Merge Patch: an object patch merges member by member (null removes a member);
-- any other patch replaces the target.
CREATE FUNCTION ff_merge_patch(target jsonb, patch jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    result jsonb;
    member text;
    value jsonb;
BEGIN
    IF jsonb_typeof(patch) IS DISTINCT FROM 'object' THEN
        RETURN patch;
    END IF;
    result := CASE WHEN jsonb_typeof(target) = 'object' THEN target ELSE '{}'::jsonb END;
    FOR member, value IN SELECT * FROM jsonb_each(patch) LOOP
        IF jsonb_typeof(value) = 'null' THEN
            result := result - member;
        ELSE
            result := jsonb_set(result, ARRAY[member], ff_merge_patch(result -> member, value));
        END IF;
    END LOOP;
    RETURN result;
END
$$;
