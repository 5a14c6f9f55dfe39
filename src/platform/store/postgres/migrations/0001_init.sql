-- Schema version 1: a table per kind of record. The columns the Tx looks
-- records up or orders them by are real columns (the rules that span
-- records are constraints: key, code and active name unique); the record
-- itself is its JSON encoding, as the embedded store keeps it.
--
-- Text keys use the "C" collation: byte order, the order the embedded
-- store lists in (Boxes by id, Rollouts by channel), whatever the
-- database's locale.
--
-- Records are json, not jsonb: json keeps the encoding byte for byte (a
-- job's byte limit counts encoded hosts), accepts the \u0000 a banner may
-- hold (jsonb refuses it), and costs no conversion on write; nothing
-- queries inside a record.

CREATE TABLE boxes (
	id text COLLATE "C" PRIMARY KEY,
	key text COLLATE "C" NOT NULL UNIQUE,
	code text COLLATE "C" NOT NULL UNIQUE,
	-- The name while the box is active, else NULL: unique among active
	-- boxes only.
	active_name text COLLATE "C" UNIQUE,
	pending boolean NOT NULL,
	rec json NOT NULL
);
CREATE INDEX boxes_pending ON boxes (id) WHERE pending;

CREATE TABLE users (
	name text COLLATE "C" PRIMARY KEY,
	rec json NOT NULL
);

CREATE TABLE jobs (
	id text COLLATE "C" PRIMARY KEY,
	box_id text COLLATE "C" NOT NULL,
	-- Created in nanoseconds since 1970: a box's jobs are listed oldest
	-- first, to the nanosecond as the embedded store orders them.
	created bigint NOT NULL,
	rec json NOT NULL
);
CREATE INDEX jobs_of_box ON jobs (box_id, created, id);

-- A job's hosts in the order they were appended (seq from 0).
CREATE TABLE job_hosts (
	job_id text COLLATE "C" NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	seq integer NOT NULL,
	has_findings boolean NOT NULL,
	rec json NOT NULL,
	PRIMARY KEY (job_id, seq)
);

CREATE TABLE job_tracking (
	job_id text COLLATE "C" PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
	rec json NOT NULL
);

CREATE TABLE uploads (
	box_id text COLLATE "C" NOT NULL,
	upload_id text COLLATE "C" NOT NULL,
	rec json NOT NULL,
	PRIMARY KEY (box_id, upload_id)
);

CREATE TABLE sessions (
	id text COLLATE "C" PRIMARY KEY,
	-- Expires in nanoseconds since 1970 (0 for earlier times).
	expires bigint NOT NULL,
	rec json NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires);

CREATE TABLE rollouts (
	account text COLLATE "C" NOT NULL,
	channel text COLLATE "C" NOT NULL,
	rec json NOT NULL,
	PRIMARY KEY (account, channel)
);
