-- dialgate schema version 1. Instants used for ordering or range queries are
-- also kept as Unix nanoseconds (bigint): timestamptz has only microseconds
-- and dialgate compares instants exactly. The records themselves are JSON
-- documents of the domain types (jsonb), so a field added to a record needs
-- no migration.

CREATE TABLE dnc_entries (
    number bigint NOT NULL,        -- dialgate.Number.Uint64()
    scope  text COLLATE "C" NOT NULL, -- dnc.Scope text, byte order
    list   text   NOT NULL,
    hold_until_ns bigint,          -- NULL: no hold
    entry  jsonb  NOT NULL,        -- dnc.Entry
    PRIMARY KEY (number, scope)
);

CREATE TABLE consents (
    id     text   PRIMARY KEY,
    number bigint NOT NULL,
    record jsonb  NOT NULL         -- consent.Record
);
CREATE INDEX consents_number ON consents (number);

CREATE TABLE consent_revision (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    rev bigint  NOT NULL
);
INSERT INTO consent_revision (rev) VALUES (0);

CREATE TABLE consent_events (
    seq    bigint PRIMARY KEY,
    number bigint NOT NULL,
    event  jsonb  NOT NULL         -- consent.Event
);
CREATE INDEX consent_events_number ON consent_events (number, seq);

CREATE TABLE ledger (
    tenant text   NOT NULL,
    number bigint NOT NULL,
    entry  jsonb  NOT NULL,        -- callerid.Entry
    PRIMARY KEY (tenant, number)
);

CREATE TABLE ledger_version (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    version bigint NOT NULL
);
INSERT INTO ledger_version (version) VALUES (0);

CREATE TABLE recordings (
    id              text   PRIMARY KEY,
    callee          text   NOT NULL,
    decision_id     text   NOT NULL DEFAULT '',
    retain_until_ns bigint NOT NULL,
    rec             jsonb  NOT NULL  -- recording.Recording
);
CREATE INDEX recordings_callee ON recordings (callee);
CREATE INDEX recordings_due ON recordings (retain_until_ns);

CREATE TABLE recording_tombstones (
    id            text   NOT NULL,
    deleted_at_ns bigint NOT NULL,
    tombstone     jsonb  NOT NULL,  -- recording.Tombstone
    PRIMARY KEY (deleted_at_ns, id)
);

CREATE TABLE complaints (
    id          text   PRIMARY KEY,
    tenant      text   NOT NULL DEFAULT '',
    callee      text   NOT NULL,
    received_ns bigint NOT NULL,
    complaint   jsonb  NOT NULL     -- complaint.Complaint
);
CREATE INDEX complaints_callee ON complaints (callee);
CREATE INDEX complaints_received ON complaints (received_ns);

-- storage.Counters: one row per counter key, locked (SELECT … FOR UPDATE) by
-- every reservation on that key; one row per (key, reservation id).
CREATE TABLE counter_keys (
    key text PRIMARY KEY
);
CREATE TABLE counter_entries (
    key    text   NOT NULL,
    id     text   NOT NULL,
    at_ns  bigint NOT NULL,
    member text   NOT NULL DEFAULT '',
    PRIMARY KEY (key, id)
);
CREATE INDEX counter_entries_at ON counter_entries (key, at_ns);
CREATE INDEX counter_entries_id ON counter_entries (id);
