-- Discrepancies and the cleaning queue.
-- `findings` is the current state (replaced per source, or per locality on a
-- rerun, like `matches`). `queue_items` has one row per stable key
-- (source, record_id, kind, field) for ever; its status changes only together
-- with a row in the append-only `queue_audit`.

CREATE TABLE findings (
    source         VARCHAR NOT NULL,
    record_id      VARCHAR NOT NULL,
    person_id      VARCHAR,
    criterion      VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,
    field          VARCHAR NOT NULL,
    source_value   VARCHAR,
    registry_value VARCHAR,
    province       VARCHAR,
    commune        VARCHAR,
    detail         VARCHAR NOT NULL,
    priority       INTEGER NOT NULL,
    group_id       VARCHAR,
    run_id         BIGINT NOT NULL
);

CREATE TABLE queue_items (
    item_id        BIGINT PRIMARY KEY,
    source         VARCHAR NOT NULL,
    record_id      VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,
    field          VARCHAR NOT NULL,
    criterion      VARCHAR NOT NULL,
    person_id      VARCHAR,
    source_value   VARCHAR,
    registry_value VARCHAR,
    province       VARCHAR,
    commune        VARCHAR,
    detail         VARCHAR NOT NULL,
    priority       INTEGER NOT NULL,
    group_id       VARCHAR,
    status         VARCHAR NOT NULL,
    assignee       VARCHAR,
    first_seen_run BIGINT NOT NULL,
    last_seen_run  BIGINT NOT NULL,
    UNIQUE (source, record_id, kind, field)
);

CREATE TABLE queue_audit (
    audit_id   BIGINT PRIMARY KEY,
    item_id    BIGINT NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    actor      VARCHAR NOT NULL,
    action     VARCHAR NOT NULL,  -- created, updated, assigned, resolved, rejected, reopened, fixed_at_source, ...
    old_status VARCHAR,
    new_status VARCHAR,
    old_assignee VARCHAR,
    new_assignee VARCHAR,
    note       VARCHAR,
    run_id     BIGINT
);
