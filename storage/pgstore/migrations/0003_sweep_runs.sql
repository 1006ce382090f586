-- +dialgate first use
-- dialgate schema version 3: sequential-run state (storage.Runs, the
-- sweep.sequential rule's recently dialled suffixes per tenant and number
-- segment), shared by every sidecar of a fleet.
--
-- Open does not apply this version. The first storage.Runs call applies it
-- and records it in schema_migrations, in one transaction under the
-- migration lock, so a database whose fleet keeps its runs elsewhere (in
-- Redis) stays at the version before and a build that knows only that one
-- can still open it; once run state is shared here, such a build (which
-- would keep its runs in its own memory, unseen by the fleet and unseeing)
-- refuses the database (storage.ErrSchemaTooNew).

-- One row per run key (tenant and segment), locked (SELECT … FOR UPDATE) by
-- every record under the key: the closing of the key.
CREATE TABLE IF NOT EXISTS run_keys (
    key             text    PRIMARY KEY,
    closed_until_ns bigint,                   -- NULL: never closed
    closed_run      integer NOT NULL DEFAULT 0
);

-- One row per record: the value (suffix) an id recorded under a key, and
-- when. A value counts while one of its rows is in the window.
CREATE TABLE IF NOT EXISTS run_values (
    id    text    PRIMARY KEY,
    key   text    NOT NULL,
    x     integer NOT NULL,
    at_ns bigint  NOT NULL
);
CREATE INDEX IF NOT EXISTS run_values_key_x ON run_values (key, x);
CREATE INDEX IF NOT EXISTS run_values_key_at ON run_values (key, at_ns);
