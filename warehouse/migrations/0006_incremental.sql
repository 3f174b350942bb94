-- Incremental runs: what each stored result was computed from, so that a run redoes
-- only what can have changed (docs/scale.md).
-- matches: the record's row hash, the registry version (file sha256) and the model
-- it was linked with; rows from before this version have none and are relinked.
-- validation: the dataset version (file sha256) and code version validated, so an
-- unchanged dataset is not validated again.
-- runs: how the run ran (full, incremental, locality, source), the model it used, what
-- it redid, and the CPU time and memory of each step.

ALTER TABLE matches ADD COLUMN row_hash UBIGINT;
ALTER TABLE matches ADD COLUMN registry_sha256 VARCHAR;
ALTER TABLE matches ADD COLUMN model_run_id BIGINT;

ALTER TABLE validation_results ADD COLUMN dataset_sha256 VARCHAR;
ALTER TABLE validation_results ADD COLUMN code_version VARCHAR;
ALTER TABLE validation_failures ADD COLUMN dataset_sha256 VARCHAR;
ALTER TABLE validation_failures ADD COLUMN code_version VARCHAR;

ALTER TABLE runs ADD COLUMN mode VARCHAR;
ALTER TABLE runs ADD COLUMN model_run_id BIGINT;
ALTER TABLE runs ADD COLUMN counts VARCHAR;     -- JSON: source -> records relinked, findings redone
ALTER TABLE runs ADD COLUMN resources VARCHAR;  -- JSON: step -> CPU seconds, peak RSS so far (MB)
