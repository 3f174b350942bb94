-- Reviewers' decisions on links (`popdq link confirm|reject|set`), and evidence across
-- sources. Each decision is a row, never updated or deleted: who decided, when, what and
-- why. It holds while the record's identifying fields are as they were (`identity`, a
-- digest of them): once they change it no longer applies and the record is open again.
-- matches: what the stored link was computed from besides its row, registry and model:
-- the person its BHXH number pointed to (matching.evidence) and the newest reviewer
-- decision that held for it; a change of either relinks the record.

ALTER TABLE matches ADD COLUMN shared_person VARCHAR;
ALTER TABLE matches ADD COLUMN decision_id BIGINT;

CREATE TABLE link_decisions (
    decision_id        BIGINT PRIMARY KEY,
    source             VARCHAR NOT NULL,
    record_id          VARCHAR NOT NULL,
    verdict            VARCHAR NOT NULL,  -- confirm, reject or set
    person_id          VARCHAR NOT NULL,  -- the person confirmed, rejected or set
    proposed_person_id VARCHAR,           -- the model's best candidate when decided
    proposed_decision  VARCHAR,           -- and its decision (match, review, none)
    proposed_score     DOUBLE,
    identity           VARCHAR NOT NULL,
    decided_by         VARCHAR NOT NULL,
    decided_at         TIMESTAMP NOT NULL,
    note               VARCHAR
);
