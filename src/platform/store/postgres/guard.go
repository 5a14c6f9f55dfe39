package postgres

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/store"
)

// The Guard (store.Guard) in tables of its own (migration
// 0003_guard.sql): what replicas must share to refuse a replay sent to
// another one and to hold a box or a person to one limit, not one per
// replica. Nonces and buckets are touched by every box request, so each
// is one statement in its own implicit transaction (no SERIALIZABLE
// retries on a hot row: the row lock of an upsert orders concurrent
// takes of one bucket); a lockout, touched by logins only, is read and
// written under its row lock with store.Lockout's rules.

// guardCtx bounds one Guard step like a transaction.
func (s *Store) guardCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.TxTimeout)
}

// guardErr wraps err of a Guard step what, marking a database that
// cannot be reached (store.ErrUnavailable).
func (s *Store) guardErr(what string, err error) error {
	return s.wrap(fmt.Sprintf("PostgreSQL (%s): %s", s.desc, what), err)
}

// UseNonce inserts the nonce unless key holds perKey unexpired ones. The
// count and the insert are one statement, but two requests of one key at
// the same moment may both see perKey-1: the bound is exceeded by at most
// the key's requests in flight at once, which its token bucket (taken
// before) keeps small.
func (s *Store) UseNonce(key, nonce string, expires, now time.Time, perKey int) error {
	if perKey <= 0 {
		perKey = platformapi.DefaultNoncesPerKey
	}
	if noKey(key, nonce) {
		return fmt.Errorf("nonce of %q: a NUL byte", key)
	}
	ctx, cancel := s.guardCtx()
	defer cancel()
	tag, err := s.pool.Exec(ctx, `INSERT INTO guard_nonces (key, nonce, expires)
		SELECT $1, $2, $3 WHERE (SELECT count(*) FROM guard_nonces WHERE key = $1 AND expires >= $4) < $5
		ON CONFLICT (key, nonce) DO NOTHING`, key, nonce, expires.UnixNano(), now.UnixNano(), perKey)
	if err != nil {
		return s.guardErr("record a nonce", err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var seen bool
	err = s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM guard_nonces WHERE key = $1 AND nonce = $2)", key, nonce).Scan(&seen)
	if err != nil {
		return s.guardErr("look a nonce up", err)
	}
	if seen {
		return fmt.Errorf("nonce %s of %s: %w", nonce, key, store.ErrExists)
	}
	return fmt.Errorf("%d nonces of %s not expired: %w", perKey, key, store.ErrFull)
}

// Take is a token bucket in one upsert: the refill since the last take,
// the take if a token is there, and whether it was, computed from the
// row as it was (SET sees the old row) under its row lock.
func (s *Store) Take(kind, key string, now time.Time, burst int, every time.Duration) (time.Duration, bool, error) {
	if burst <= 0 || every <= 0 {
		return 0, true, nil
	}
	if noKey(kind, key) {
		return 0, false, fmt.Errorf("bucket %s %q: a NUL byte", kind, key)
	}
	ctx, cancel := s.guardCtx()
	defer cancel()
	full := int64(burst) * int64(every)
	var ok bool
	var tokens float64
	err := s.pool.QueryRow(ctx, `INSERT INTO guard_buckets AS b (kind, key, tokens, at, ok, forget)
		VALUES ($1, $2, $3::float8 - 1, $4::bigint, true, $4::bigint + $6::bigint)
		ON CONFLICT (kind, key) DO UPDATE SET
			tokens = least($3::float8, b.tokens + greatest(0, $4::bigint - b.at)::float8 / $5::float8)
				- CASE WHEN least($3::float8, b.tokens + greatest(0, $4::bigint - b.at)::float8 / $5::float8) >= 1 THEN 1 ELSE 0 END,
			ok = least($3::float8, b.tokens + greatest(0, $4::bigint - b.at)::float8 / $5::float8) >= 1,
			at = greatest(b.at, $4::bigint),
			forget = greatest(b.at, $4::bigint) + $6::bigint
		RETURNING ok, tokens`, kind, key, burst, now.UnixNano(), int64(every), full).Scan(&ok, &tokens)
	if err != nil {
		return 0, false, s.guardErr("take a token", err)
	}
	if ok {
		return 0, true, nil
	}
	return time.Duration((1 - tokens) * float64(every)), false, nil
}

// lockout runs fn on the lockout of kind and key under its row lock
// (created first when create is set; without a row and create unset fn
// is not called) and writes what fn leaves.
func (s *Store) lockout(kind, key string, create bool, fn func(*store.Lockout)) error {
	if noKey(kind, key) {
		return fmt.Errorf("lockout %s %q: a NUL byte", kind, key)
	}
	ctx, cancel := s.guardCtx()
	defer cancel()
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		var failures int
		var until, forget int64
		var err error
		if create {
			// One statement creates the row or locks the one there and
			// returns it: a separate insert and SELECT ... FOR UPDATE
			// let a concurrent Succeed delete the row between them (CI:
			// the loser of an activation race was then refused with
			// no lock in force, "try again after never"). Concurrent
			// creators: the second waits for the first's commit and
			// then updates (locks) its row.
			err = tx.QueryRow(ctx, `INSERT INTO guard_lockouts AS l (kind, key, failures, until, forget) VALUES ($1, $2, 0, 0, 0)
				ON CONFLICT (kind, key) DO UPDATE SET failures = l.failures
				RETURNING failures, until, forget`, kind, key).Scan(&failures, &until, &forget)
		} else {
			err = tx.QueryRow(ctx, "SELECT failures, until, forget FROM guard_lockouts WHERE kind = $1 AND key = $2 FOR UPDATE", kind, key).
				Scan(&failures, &until, &forget)
		}
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		l := store.Lockout{Failures: failures, Until: fromNanos(until), Forget: fromNanos(forget)}
		fn(&l)
		_, err = tx.Exec(ctx, "UPDATE guard_lockouts SET failures = $3, until = $4, forget = $5 WHERE kind = $1 AND key = $2",
			kind, key, l.Failures, nanos(l.Until), nanos(l.Forget))
		return err
	})
	if err != nil {
		return s.guardErr("lockout "+kind, err)
	}
	return nil
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

func (s *Store) Attempt(kind, key string, now time.Time, maxFailures int, lock time.Duration) (bool, time.Time, error) {
	var ok bool
	var until time.Time
	err := s.lockout(kind, key, true, func(l *store.Lockout) { ok, until = l.Attempt(now, maxFailures, lock) })
	return ok, until, err
}

func (s *Store) Refund(kind, key string, maxFailures int) error {
	return s.lockout(kind, key, false, func(l *store.Lockout) { l.Refund(maxFailures) })
}

func (s *Store) Succeed(kind, key string) error {
	if noKey(kind, key) {
		return nil
	}
	ctx, cancel := s.guardCtx()
	defer cancel()
	if _, err := s.pool.Exec(ctx, "DELETE FROM guard_lockouts WHERE kind = $1 AND key = $2", kind, key); err != nil {
		return s.guardErr("forget attempts", err)
	}
	return nil
}

// Secret makes the secret once for every replica: the first insert wins,
// every caller reads the winner's.
func (s *Store) Secret(name string) ([]byte, error) {
	v := make([]byte, 32)
	if _, err := rand.Read(v); err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	ctx, cancel := s.guardCtx()
	defer cancel()
	if _, err := s.pool.Exec(ctx, "INSERT INTO guard_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", name, v); err != nil {
		return nil, s.guardErr("make secret "+name, err)
	}
	if err := s.pool.QueryRow(ctx, "SELECT value FROM guard_secrets WHERE name = $1", name).Scan(&v); err != nil {
		return nil, s.guardErr("read secret "+name, err)
	}
	return v, nil
}

// PurgeGuard deletes what has expired, by the tables' expiry indexes.
func (s *Store) PurgeGuard(now time.Time) error {
	ctx, cancel := s.guardCtx()
	defer cancel()
	for _, q := range []string{
		"DELETE FROM guard_nonces WHERE expires < $1",
		"DELETE FROM guard_buckets WHERE forget < $1",
		"DELETE FROM guard_lockouts WHERE forget < $1 AND until < $1",
	} {
		if _, err := s.pool.Exec(ctx, q, now.UnixNano()); err != nil {
			return s.guardErr("purge", err)
		}
	}
	return nil
}

func (s *Store) GuardSize() (store.GuardSize, error) {
	ctx, cancel := s.guardCtx()
	defer cancel()
	var n store.GuardSize
	err := s.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM guard_nonces), (SELECT count(*) FROM guard_buckets),
		(SELECT count(*) FROM guard_lockouts)`).Scan(&n.Nonces, &n.Buckets, &n.Lockouts)
	if err != nil {
		return n, s.guardErr("count", err)
	}
	return n, nil
}
