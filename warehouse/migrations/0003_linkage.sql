-- Linkage results. `matches` and `match_explanations` hold the current state:
-- a full run replaces a source's rows, a locality rerun only the rows of that
-- province or commune; run_id says which run computed each row.
-- `link_models` keeps the model of every full run, so a locality rerun
-- reuses exactly the weights of the last full run.

CREATE TABLE link_models (
    run_id     BIGINT PRIMARY KEY,
    model      VARCHAR NOT NULL,  -- JSON (matching.LinkModel.to_json)
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE matches (
    source           VARCHAR NOT NULL,
    record_id        VARCHAR NOT NULL,
    person_id        VARCHAR,
    score            DOUBLE NOT NULL,
    decision         VARCHAR NOT NULL,
    second_person_id VARCHAR,
    second_score     DOUBLE,
    ambiguous        BOOLEAN NOT NULL,
    province         VARCHAR,  -- the record's current province and commune
    commune          VARCHAR,
    run_id           BIGINT NOT NULL
);

CREATE TABLE match_explanations (
    source     VARCHAR NOT NULL,
    record_id  VARCHAR NOT NULL,
    person_id  VARCHAR NOT NULL,
    comparison VARCHAR NOT NULL,
    level      VARCHAR NOT NULL,
    weight     DOUBLE NOT NULL,
    run_id     BIGINT NOT NULL
);
