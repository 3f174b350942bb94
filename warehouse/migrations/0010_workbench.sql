-- The reviewers' workbench (`popdq web`, `popdq users`): accounts with their role and
-- localities, an append-only trail of what was done to accounts, and a version on each
-- queue item so that two reviewers acting on one item cannot overwrite each other.
-- users.password_stamp counts password changes: a session made before a change (or for a
-- disabled account) stops working at its next request.

CREATE TABLE users (
    name           VARCHAR PRIMARY KEY,
    role           VARCHAR NOT NULL,     -- reviewer, steward or auditor
    localities     VARCHAR[] NOT NULL,   -- province (2-digit) or commune (5-digit) codes; [] = all
    password_hash  VARCHAR NOT NULL,     -- Argon2id, with its parameters and salt
    password_stamp INTEGER NOT NULL,
    disabled       BOOLEAN NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    created_by     VARCHAR NOT NULL
);

CREATE TABLE account_audit (
    event_id   BIGINT PRIMARY KEY,
    changed_at TIMESTAMP NOT NULL,
    actor      VARCHAR NOT NULL,
    name       VARCHAR NOT NULL,
    action     VARCHAR NOT NULL,          -- added, disabled, password_reset
    detail     VARCHAR
);

-- Every change to an item (a reviewer's action, a night's refresh) adds one.
ALTER TABLE queue_items ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
