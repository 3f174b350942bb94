-- popdq warehouse, schema version 1: datasets as loaded, their load log,
-- quarantined rows, and the record of each nightly run.
-- A migration is history: never edit it once released; add a new file instead.

CREATE TABLE warehouse_meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE TABLE load_log (
    load_id          BIGINT PRIMARY KEY,
    dataset          VARCHAR NOT NULL,
    file_name        VARCHAR NOT NULL,
    file_format      VARCHAR NOT NULL,
    sha256           VARCHAR NOT NULL,
    rows_read        BIGINT NOT NULL,
    rows_loaded      BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    loaded_at        TIMESTAMP NOT NULL,
    loaded_by        VARCHAR NOT NULL,
    CHECK (rows_read = rows_loaded + rows_quarantined)
);

CREATE TABLE quarantine (
    load_id     BIGINT NOT NULL,
    dataset     VARCHAR NOT NULL,
    file_name   VARCHAR NOT NULL,
    line_number BIGINT NOT NULL,
    raw_line    VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL
);

-- Datasets keep every contract column as text, exactly as read: parsing is the
-- pipeline's job. line_number points back into the file; extra holds unknown
-- columns as a JSON object (kept, but ignored).

CREATE TABLE registry (
    load_id       BIGINT NOT NULL,
    line_number   BIGINT NOT NULL,
    person_id     VARCHAR NOT NULL,
    full_name     VARCHAR,
    date_of_birth VARCHAR,
    sex           VARCHAR,
    province_code VARCHAR,
    commune_code  VARCHAR,
    household_id  VARCHAR,
    old_id_number VARCHAR,
    status        VARCHAR,
    date_of_death VARCHAR,
    updated_at    VARCHAR,
    extra         VARCHAR
);

CREATE TABLE source_social_insurance (
    load_id       BIGINT NOT NULL,
    line_number   BIGINT NOT NULL,
    record_id     VARCHAR NOT NULL,
    bhxh_code     VARCHAR,
    full_name     VARCHAR,
    date_of_birth VARCHAR,
    sex           VARCHAR,
    id_number     VARCHAR,
    province_code VARCHAR,
    commune_code  VARCHAR,
    address       VARCHAR,
    status        VARCHAR,
    updated_at    VARCHAR,
    extra         VARCHAR
);

CREATE TABLE source_tax (
    load_id       BIGINT NOT NULL,
    line_number   BIGINT NOT NULL,
    record_id     VARCHAR NOT NULL,
    tax_code      VARCHAR,
    full_name     VARCHAR,
    date_of_birth VARCHAR,
    id_number     VARCHAR,
    province_code VARCHAR,
    address       VARCHAR,
    status        VARCHAR,
    updated_at    VARCHAR,
    extra         VARCHAR
);

CREATE TABLE source_health_insurance (
    load_id       BIGINT NOT NULL,
    line_number   BIGINT NOT NULL,
    record_id     VARCHAR NOT NULL,
    card_number   VARCHAR,
    full_name     VARCHAR,
    date_of_birth VARCHAR,
    sex           VARCHAR,
    id_number     VARCHAR,
    province_code VARCHAR,
    commune_code  VARCHAR,
    valid_from    VARCHAR,
    valid_to      VARCHAR,
    updated_at    VARCHAR,
    extra         VARCHAR
);

CREATE TABLE runs (
    run_id           BIGINT PRIMARY KEY,
    as_of            DATE NOT NULL,
    locality         VARCHAR,
    source           VARCHAR,
    dataset_versions VARCHAR NOT NULL,  -- JSON: dataset -> load_id
    status           VARCHAR NOT NULL,  -- running, succeeded, failed
    started_at       TIMESTAMP NOT NULL,
    finished_at      TIMESTAMP,
    timings          VARCHAR,           -- JSON: step -> seconds
    message          VARCHAR
);
