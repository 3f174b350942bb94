-- What each run left, summed per province, so the report can show trends across runs
-- (whether cleaning is working) and the change since the previous run. Written by the
-- run's publish, in its transaction; counts only, no personal data. A locality or source
-- run summarises the whole warehouse as it left it, like a full run.
-- runs.audit_through: the last queue_audit row when the run published, so "closed by
-- reviewers since the last run" is the reviewers' rows after the previous run's.

CREATE TABLE run_findings (
    run_id    BIGINT NOT NULL,
    source    VARCHAR NOT NULL,
    province  VARCHAR,
    criterion VARCHAR NOT NULL,
    kind      VARCHAR NOT NULL,
    findings  BIGINT NOT NULL
);

CREATE TABLE run_records (
    run_id    BIGINT NOT NULL,
    source    VARCHAR NOT NULL,
    province  VARCHAR,
    records   BIGINT NOT NULL,  -- source records checked (one row each in matches)
    linked    BIGINT NOT NULL,  -- decision match
    review    BIGINT NOT NULL,  -- decision review
    flagged   BIGINT NOT NULL   -- records with at least one finding
);

CREATE TABLE run_queue (
    run_id              BIGINT NOT NULL,
    province            VARCHAR,
    active              BIGINT NOT NULL,  -- open or in review after the run
    opened              BIGINT NOT NULL,  -- created or reopened by the run
    closed_by_reviewers BIGINT NOT NULL,  -- resolved or rejected since the previous run
    fixed_at_source     BIGINT NOT NULL   -- closed by the run: the finding is gone
);

ALTER TABLE runs ADD COLUMN audit_through BIGINT;

-- Every report written with identifiers and names in full (`popdq report --unmasked`).
CREATE TABLE report_disclosures (
    disclosed_at TIMESTAMP NOT NULL,
    actor        VARCHAR NOT NULL,
    run_id       BIGINT NOT NULL,
    locality     VARCHAR,
    lang         VARCHAR NOT NULL,
    file_name    VARCHAR NOT NULL
);
