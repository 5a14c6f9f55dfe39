-- Schema version 3: the Guard (store.Guard), what replicas share to hold
-- boxes and people to the platform's limits. Times are nanoseconds since
-- 1970; each table has the index its purge walks.

-- Nonces of box requests served, until the request's time leaves the
-- skew window.
CREATE TABLE guard_nonces (
	key text COLLATE "C" NOT NULL,
	nonce text COLLATE "C" NOT NULL,
	expires bigint NOT NULL,
	PRIMARY KEY (key, nonce)
);
CREATE INDEX guard_nonces_expiry ON guard_nonces (expires);

-- Token buckets: tokens at "at"; ok says whether the last take got one;
-- forget is when the bucket is full again (the same as none).
CREATE TABLE guard_buckets (
	kind text COLLATE "C" NOT NULL,
	key text COLLATE "C" NOT NULL,
	tokens double precision NOT NULL,
	at bigint NOT NULL,
	ok boolean NOT NULL,
	forget bigint NOT NULL,
	PRIMARY KEY (kind, key)
);
CREATE INDEX guard_buckets_forget ON guard_buckets (forget);

-- Failed logins and wrong activation codes (store.Lockout; until 0: not
-- locked).
CREATE TABLE guard_lockouts (
	kind text COLLATE "C" NOT NULL,
	key text COLLATE "C" NOT NULL,
	failures integer NOT NULL,
	until bigint NOT NULL,
	forget bigint NOT NULL,
	PRIMARY KEY (kind, key)
);
CREATE INDEX guard_lockouts_forget ON guard_lockouts (forget);

-- Secrets every replica uses alike (the login forms' key).
CREATE TABLE guard_secrets (
	name text COLLATE "C" PRIMARY KEY,
	value bytea NOT NULL
);
