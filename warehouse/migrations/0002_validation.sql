-- Validation results of each run: a row per expectation, a row per failing record.
-- Failures carry the discrepancy kind and field they raise; the values
-- themselves stay in the dataset tables (joined on the record key).

CREATE TABLE validation_results (
    run_id           BIGINT NOT NULL,
    dataset          VARCHAR NOT NULL,
    load_id          BIGINT NOT NULL,
    expectation      VARCHAR NOT NULL,
    column_name      VARCHAR NOT NULL,
    field            VARCHAR NOT NULL,
    kind             VARCHAR,
    success          BOOLEAN NOT NULL,
    element_count    BIGINT NOT NULL,
    unexpected_count BIGINT NOT NULL
);

CREATE TABLE validation_failures (
    run_id      BIGINT NOT NULL,
    dataset     VARCHAR NOT NULL,
    record_key  VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,
    field       VARCHAR NOT NULL,
    expectation VARCHAR NOT NULL,
    reason      VARCHAR
);
