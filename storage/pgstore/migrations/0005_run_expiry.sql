-- +dialgate first use
-- dialgate schema version 5: each run record's expiry (storage.Runs).
-- expires_ns is the instant from which the record no longer counts: its
-- instant plus the rule's window. ExpireRuns deletes the records whose
-- expiry has passed, and the rows of keys left with no record and no
-- closing in force, so the state of segments nobody dials any more does
-- not stay for ever; a record without one (written before this version) is
-- never expired by it, only pruned when its key is recorded in again (which
-- also gives it its expiry).
--
-- Open does not apply this version. The first storage.Runs call applies it
-- after version 3 (the run tables), and records it, in one transaction under
-- the migration lock; a build before it — which would write records that
-- never expire — then refuses the database (storage.ErrSchemaTooNew).
ALTER TABLE run_values ADD COLUMN IF NOT EXISTS expires_ns bigint;
CREATE INDEX IF NOT EXISTS run_values_expires ON run_values (expires_ns);
