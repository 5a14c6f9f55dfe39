-- Schema version 2: the people's side (issue 18). Asset groups, the audit
-- log, and sessions found by their user (a disabled account's or a reset
-- password's sessions are deleted).

CREATE TABLE asset_groups (
	account text COLLATE "C" NOT NULL,
	name text COLLATE "C" NOT NULL,
	rec json NOT NULL,
	PRIMARY KEY (account, name)
);

-- The audit log. seq orders entries across accounts and replicas: every
-- replica draws from this one sequence, never from a max(seq) + 1 of its
-- own (two replicas would draw the same). A sequence is not rolled back,
-- so a transaction run again after a conflict leaves a gap; gaps are
-- harmless (pages are "seq below N"). The record's own "seq" field is not
-- trusted on read: the column is the entry's Seq.
CREATE TABLE audit (
	seq bigserial PRIMARY KEY,
	account text COLLATE "C" NOT NULL,
	rec json NOT NULL
);
CREATE INDEX audit_of_account ON audit (account, seq);

-- The user of a session ('' before login), taken from the records of
-- version 1.
ALTER TABLE sessions ADD COLUMN user_name text COLLATE "C" NOT NULL DEFAULT '';
UPDATE sessions SET user_name = coalesce(rec->>'user', '');
CREATE INDEX sessions_of_user ON sessions (user_name);
