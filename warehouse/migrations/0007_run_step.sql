-- The step a run is in, recorded as each step starts (flows.nightly): stewards see where a
-- run is, and the next run says where an interrupted one stopped. A run's status is now
-- running, succeeded, failed, or interrupted (its process ended before it finished: the
-- next run, holding the warehouse's lock, marks it so).

ALTER TABLE runs ADD COLUMN step VARCHAR;
