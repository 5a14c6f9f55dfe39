// Package postgres is the platform's store on PostgreSQL (pgx, pure Go):
// the store.Store contract of the embedded bbolt store, for platforms
// that outgrow one machine or run several platformd replicas on one
// database.
//
// Every transaction that writes is SERIALIZABLE, so the rules the Tx
// keeps across records (a code activates one box once, active names are
// unique, an upload id is applied once, a job's result limits) hold
// between processes as they hold inside one: PostgreSQL rolls back one of
// two transactions that could not have run one after the other
// (SQLSTATE 40001, or a deadlock, 40P01) and Update runs it again, at
// most MaxAttempts times. Reads (View) run in a REPEATABLE READ READ ONLY
// transaction: one snapshot, never rolled back for a conflict, so View's
// fn runs once.
//
// The schema is versioned (migrations/, applied by Open; see Migrate),
// one table per kind of record with the record's JSON beside the columns
// it is found by. Adding a kind of record: a migration with its table, a
// kind value and the Tx methods on the helpers below (getRec, putRec,
// listRecs), its bbolt bucket in Import, and a fixture for the upgrade
// test.
package postgres

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"picket.dev/picket/src/platform/findings"
	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/scan/result"
)

// Store is the PostgreSQL store. Set its fields before use.
type Store struct {
	pool *pgxpool.Pool
	desc string
	// Limits bound each job's results (store.DefaultLimits from Open).
	Limits store.Limits
	// MaxAttempts is how many times Update runs a transaction that
	// conflicts with others before it gives up with the conflict.
	MaxAttempts int
	// TxTimeout bounds one attempt of a transaction, so that a database
	// that stopped answering fails requests instead of holding them.
	TxTimeout time.Duration

	mu  sync.Mutex
	rnd *rand.Rand // retry jitter
}

// Open connects to the database at connString (a postgres:// URL or
// key=value string, as libpq takes them), migrates its schema to Latest
// and returns the store. A database with a newer schema than this binary
// knows is refused (ErrNewerSchema). Errors never repeat connString (it
// may hold a password).
func Open(ctx context.Context, connString string) (*Store, error) {
	cfg, err := parseConfig(connString)
	if err != nil {
		return nil, err
	}
	desc := Describe(connString)
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL (%s): %w", desc, err)
	}
	err = migrate(ctx, conn, Latest())
	conn.Close(context.WithoutCancel(ctx))
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL (%s): %w", desc, err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL (%s): %w", desc, err)
	}
	var seed [16]byte
	crand.Read(seed[:])
	return &Store{pool: pool, desc: desc, Limits: store.DefaultLimits, MaxAttempts: 30, TxTimeout: time.Minute,
		rnd: rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))}, nil
}

// parseConfig parses a connection string without ever putting it in an
// error: pgx's own message quotes it, password and all when it cannot
// tell where the password is.
func parseConfig(connString string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, errors.New("not a valid PostgreSQL connection string (a postgres:// URL or key=value pairs); it is not repeated here, as it may hold a password")
	}
	return cfg, nil
}

// Describe names the database of connString for logs and errors: host
// (or socket directory), port, database and user, never the password.
func Describe(connString string) string {
	cfg, err := pgconn.ParseConfig(connString)
	if err != nil {
		return "an invalid connection string"
	}
	return fmt.Sprintf("host=%s port=%d database=%s user=%s", cfg.Host, cfg.Port, cfg.Database, cfg.User)
}

// String is Describe of the store's connection string.
func (s *Store) String() string { return s.desc }

// Close closes the pool's connections.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Pool is the connection pool, for what the Tx does not cover (tests,
// imports).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

func (s *Store) View(fn func(store.Tx) error) error {
	return s.run(pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

// Update runs fn in a SERIALIZABLE transaction, again after a
// serialization failure or deadlock (fn must leave nothing outside the Tx
// but results it sets afresh on each run).
func (s *Store) Update(fn func(store.Tx) error) error {
	return s.run(pgx.TxOptions{IsoLevel: pgx.Serializable}, fn)
}

// Batch is Update: each call is its own transaction (PostgreSQL commits
// many small concurrent ones together by itself).
func (s *Store) Batch(fn func(store.Tx) error) error { return s.Update(fn) }

func (s *Store) run(opts pgx.TxOptions, fn func(store.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err, again := s.attempt(opts, fn)
		if !again {
			return err
		}
		if attempt >= s.MaxAttempts {
			return fmt.Errorf("transaction rolled back %d times for conflicts with concurrent ones: %w", attempt, err)
		}
		// Jittered backoff, so that the transactions that collided do
		// not collide again in step.
		s.mu.Lock()
		d := time.Duration(s.rnd.Int64N(int64(min(attempt, 10)) * int64(2*time.Millisecond)))
		s.mu.Unlock()
		time.Sleep(d)
	}
}

// attempt runs fn once; again says a conflict rolled it back.
func (s *Store) attempt(opts pgx.TxOptions, fn func(store.Tx) error) (err error, again bool) {
	ctx, cancel := context.WithTimeout(context.Background(), s.TxTimeout)
	defer cancel()
	ptx, err := s.pool.BeginTx(ctx, opts)
	if err != nil {
		return s.wrap(fmt.Sprintf("PostgreSQL (%s): begin transaction", s.desc), err), false
	}
	t := &tx{ctx: ctx, tx: ptx, lim: s.Limits}
	ferr := fn(t)
	if t.conflict != nil {
		// fn may have swallowed the conflict's error: the transaction is
		// aborted all the same, and whatever fn concluded from it is void.
		ptx.Rollback(ctx)
		return t.conflict, true
	}
	if ferr != nil {
		ptx.Rollback(ctx)
		if unavailable(ferr) {
			return fmt.Errorf("PostgreSQL (%s): %w: %w", s.desc, store.ErrUnavailable, ferr), false
		}
		return ferr, false
	}
	if err := ptx.Commit(ctx); err != nil {
		if conflict(err) {
			return err, true
		}
		return s.wrap(fmt.Sprintf("PostgreSQL (%s): commit", s.desc), err), false
	}
	return nil, false
}

// wrap wraps err with what, and with store.ErrUnavailable when it says
// the database cannot be reached, so that servers answer 503 and clients
// try again.
func (s *Store) wrap(what string, err error) error {
	if unavailable(err) {
		return fmt.Errorf("%s: %w: %w", what, store.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// unavailable says err is a lost or refused connection to the database
// (the server stopped, restarting, or out of reach), not a refusal of
// the statement: pgxpool replaces broken connections by itself, so the
// next request may well succeed.
func unavailable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 08: connection exception; 57P01-03: the server shutting
		// down, crashed, or not yet accepting connections.
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.Timeout(err) || pgconn.SafeToRetry(err) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ENOENT) || errors.Is(err, context.DeadlineExceeded)
}

// conflict says err is PostgreSQL's refusal of a transaction that ran
// concurrently with another: a serialization failure, a deadlock, or a
// unique key a concurrent transaction took first (the Tx checks keys
// before it writes, so only a concurrent writer gets here; run again, the
// check sees the other's key and refuses with store.ErrExists).
func conflict(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "40001", "40P01", "23505":
		return true
	}
	return false
}

// tx is one attempt of a transaction.
type tx struct {
	ctx context.Context
	tx  pgx.Tx
	lim store.Limits
	// conflict is the first conflict a statement met (see attempt).
	conflict error
}

func (t *tx) note(err error) error {
	if err != nil && t.conflict == nil && conflict(err) {
		t.conflict = err
	}
	return err
}

func (t *tx) exec(sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := t.tx.Exec(t.ctx, sql, args...)
	return tag, t.note(err)
}

// rows runs a query and reads every row with scan (a query's rows must be
// read before the next statement on the connection, so no row is handed
// to a caller's function while they are open).
func rows[T any](t *tx, scan func(pgx.CollectableRow) (T, error), sql string, args ...any) ([]T, error) {
	r, err := t.tx.Query(t.ctx, sql, args...)
	if err != nil {
		return nil, t.note(err)
	}
	out, err := pgx.CollectRows(r, scan)
	return out, t.note(err)
}

// noKey says a key cannot be stored at all (PostgreSQL text holds no NUL
// byte), so looking it up finds nothing rather than failing.
func noKey(keys ...string) bool {
	for _, k := range keys {
		if strings.IndexByte(k, 0) >= 0 {
			return true
		}
	}
	return false
}

// kind is a table of records kept by text key columns.
type kind struct {
	table string
	keys  []string // key columns, in the order of the key arguments
	what  string   // in errors
}

var (
	kUsers    = kind{"users", []string{"name"}, "user"}
	kUploads  = kind{"uploads", []string{"box_id", "upload_id"}, "upload"}
	kTracking = kind{"job_tracking", []string{"job_id"}, "findings tracking of job"}
	kRollouts = kind{"rollouts", []string{"account", "channel"}, "rollout"}
	kSessions = kind{"sessions", []string{"id"}, "session"}
	kBoxes    = kind{"boxes", []string{"id"}, "box"}
	kJobs     = kind{"jobs", []string{"id"}, "job"}
	kGroups   = kind{"asset_groups", []string{"account", "name"}, "asset group"}
)

func (k kind) where(from int) string {
	var w []string
	for i, c := range k.keys {
		w = append(w, fmt.Sprintf("%s = $%d", c, from+i))
	}
	return strings.Join(w, " AND ")
}

func keyArgs(keys []string) []any {
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = k
	}
	return out
}

// getRec reads the record of k with key (store.ErrNotFound if none).
func getRec[T any](t *tx, k kind, key ...string) (T, error) {
	return getWhere[T](t, k, strings.Join(key, "/"), k.where(1), keyArgs(key)...)
}

func getWhere[T any](t *tx, k kind, desc, where string, args ...any) (T, error) {
	var v T
	if noKey(strings.Split(desc, "/")...) {
		return v, fmt.Errorf("%s %q: %w", k.what, desc, store.ErrNotFound)
	}
	var raw []byte
	err := t.tx.QueryRow(t.ctx, "SELECT rec FROM "+k.table+" WHERE "+where, args...).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return v, fmt.Errorf("%s %q: %w", k.what, desc, store.ErrNotFound)
	}
	if err != nil {
		return v, fmt.Errorf("read %s %q: %w", k.what, desc, t.note(err))
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("decode %s %q: %w", k.what, desc, err)
	}
	return v, nil
}

// putRec creates or replaces the record of k with key (and the extra
// columns cols set to vals).
func putRec(t *tx, k kind, v any, key []string, cols []string, vals ...any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s %q: %w", k.what, strings.Join(key, "/"), err)
	}
	all := append(append([]string{}, k.keys...), cols...)
	all = append(all, "rec")
	args := append(append(keyArgs(key), vals...), raw)
	ph := make([]string, len(all))
	var set []string
	for i, c := range all {
		ph[i] = fmt.Sprintf("$%d", i+1)
		if i >= len(k.keys) {
			set = append(set, c+" = EXCLUDED."+c)
		}
	}
	sql := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO UPDATE SET %s",
		k.table, strings.Join(all, ", "), strings.Join(ph, ", "), strings.Join(k.keys, ", "), strings.Join(set, ", "))
	if _, err := t.exec(sql, args...); err != nil {
		return fmt.Errorf("write %s %q: %w", k.what, strings.Join(key, "/"), err)
	}
	return nil
}

// listRecs reads the records a query selects (its one column: rec).
func listRecs[T any](t *tx, what, sql string, args ...any) ([]T, error) {
	raws, err := rows(t, pgx.RowTo[[]byte], sql, args...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	var out []T
	for _, raw := range raws {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("decode %s: %w", what, err)
		}
		out = append(out, v)
	}
	return out, nil
}

func (t *tx) count(what, sql string) (int, error) {
	var n int
	if err := t.tx.QueryRow(t.ctx, sql).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", what, t.note(err))
	}
	return n, nil
}

func (t *tx) Box(id string) (store.Box, error) { return getRec[store.Box](t, kBoxes, id) }
func (t *tx) BoxByKey(key string) (store.Box, error) {
	return getWhere[store.Box](t, kind{"boxes", nil, "box with key"}, key, "key = $1", key)
}
func (t *tx) BoxByCode(code string) (store.Box, error) {
	return getWhere[store.Box](t, kind{"boxes", nil, "box with code"}, code, "code = $1", code)
}
func (t *tx) BoxByName(name string) (store.Box, error) {
	return getWhere[store.Box](t, kind{"boxes", nil, "box with name"}, name, "active_name = $1", name)
}

func (t *tx) Boxes() ([]store.Box, error) {
	return listRecs[store.Box](t, "boxes", "SELECT rec FROM boxes ORDER BY id")
}

func (t *tx) PendingCount() (int, error) {
	return t.count("pending boxes", "SELECT count(*) FROM boxes WHERE pending")
}

func (t *tx) PutBox(b store.Box) error {
	if b.ID == "" || b.Key == "" || b.Code == "" {
		return fmt.Errorf("box %q: id, key and code are required", b.ID)
	}
	if noKey(b.ID, b.Key, b.Code, b.Name) {
		return fmt.Errorf("box %q: a NUL byte in its id, key, code or name", b.ID)
	}
	var name *string
	if b.State == store.BoxActive && b.Name != "" {
		name = &b.Name
	}
	// The unique keys are checked before the write, so that a refusal
	// leaves the transaction usable as the embedded store's does (a
	// failed statement would abort it); the constraints stay as the
	// guard between concurrent transactions.
	type other struct{ ID, Key, Code string }
	found, err := rows(t, pgx.RowToStructByPos[other],
		"SELECT id, key, code FROM boxes WHERE id <> $1 AND (key = $2 OR code = $3 OR active_name = $4) LIMIT 1", b.ID, b.Key, b.Code, name)
	if err != nil {
		return fmt.Errorf("box %s: check its keys: %w", b.ID, err)
	}
	if len(found) > 0 {
		o, what, k := found[0], "name", b.Name
		switch {
		case o.Key == b.Key:
			what, k = "key", b.Key
		case o.Code == b.Code:
			what, k = "code", b.Code
		}
		return fmt.Errorf("box %s: %s %q is another box's (%s): %w", b.ID, what, k, o.ID, store.ErrExists)
	}
	return putRec(t, kBoxes, b, []string{b.ID}, []string{"key", "code", "active_name", "pending"}, b.Key, b.Code, name, b.State == store.BoxPending)
}

func (t *tx) DeleteBox(id string) error {
	if noKey(id) {
		return fmt.Errorf("box %q: %w", id, store.ErrNotFound)
	}
	tag, err := t.exec("DELETE FROM boxes WHERE id = $1", id)
	if err != nil {
		return fmt.Errorf("delete box %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("box %q: %w", id, store.ErrNotFound)
	}
	return nil
}

func (t *tx) User(name string) (store.User, error) { return getRec[store.User](t, kUsers, name) }
func (t *tx) Users() ([]store.User, error) {
	return listRecs[store.User](t, "users", "SELECT rec FROM users ORDER BY name")
}
func (t *tx) PutUser(u store.User) error {
	if u.Name == "" || noKey(u.Name) {
		return fmt.Errorf("user %q: a name without NUL bytes is required", u.Name)
	}
	return putRec(t, kUsers, u, []string{u.Name}, nil)
}

func (t *tx) Job(id string) (store.Job, error) { return getRec[store.Job](t, kJobs, id) }

func (t *tx) JobsOf(boxID string) ([]store.Job, error) {
	return listRecs[store.Job](t, "jobs of box "+boxID, "SELECT rec FROM jobs WHERE box_id = $1 ORDER BY created, id", boxID)
}

func (t *tx) PutJob(j store.Job) error {
	if j.ID == "" || j.BoxID == "" {
		return fmt.Errorf("job %q: id and box id are required", j.ID)
	}
	if noKey(j.ID, j.BoxID) {
		return fmt.Errorf("job %q: a NUL byte in its id or box id", j.ID)
	}
	if old, err := t.Job(j.ID); err == nil && (old.BoxID != j.BoxID || !old.Created.Equal(j.Created)) {
		return fmt.Errorf("job %s: box and creation time cannot change", j.ID)
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return putRec(t, kJobs, j, []string{j.ID}, []string{"box_id", "created"}, j.BoxID, j.Created.UnixNano())
}

func (t *tx) DeleteJob(id string) error {
	if noKey(id) {
		return fmt.Errorf("job %q: %w", id, store.ErrNotFound)
	}
	// Its hosts and tracking record go with it (ON DELETE CASCADE).
	tag, err := t.exec("DELETE FROM jobs WHERE id = $1", id)
	if err != nil {
		return fmt.Errorf("delete job %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("job %q: %w", id, store.ErrNotFound)
	}
	return nil
}

func (t *tx) AppendHosts(jobID string, hosts []result.Host) (store.Job, error) {
	j, err := t.Job(jobID)
	if err != nil {
		return j, err
	}
	var seqs []int32
	var withFindings []bool
	var recs []string
	var full error
	for i, h := range hosts {
		raw, err := json.Marshal(h)
		if err != nil {
			return j, fmt.Errorf("job %s: encode host %s: %w", jobID, h.Addr, err)
		}
		if j.Hosts >= t.lim.JobHosts || j.HostBytes+int64(len(raw)) > t.lim.JobBytes {
			full = fmt.Errorf("job %s: %d hosts (%d bytes) stored, the limit is %d hosts or %d bytes; %d more refused: %w",
				jobID, j.Hosts, j.HostBytes, t.lim.JobHosts, t.lim.JobBytes, len(hosts)-i, store.ErrJobFull)
			j.Truncated = fmt.Sprintf("the results reached the platform's limit of %d hosts or %d bytes per job; later hosts were not stored",
				t.lim.JobHosts, t.lim.JobBytes)
			break
		}
		seqs = append(seqs, int32(j.Hosts))
		withFindings = append(withFindings, len(h.Findings) > 0)
		recs = append(recs, string(raw))
		j.Hosts++
		j.HostBytes += int64(len(raw))
		for _, f := range h.Findings {
			if j.Findings == nil {
				j.Findings = map[result.Severity]int{}
			}
			j.Findings[f.Severity]++
		}
	}
	if len(seqs) > 0 {
		// One statement for the batch: the arrays side by side.
		_, err := t.exec(`INSERT INTO job_hosts (job_id, seq, has_findings, rec)
			SELECT $1, s, f, r::json FROM unnest($2::integer[], $3::boolean[], $4::text[]) AS h(s, f, r)`,
			jobID, seqs, withFindings, recs)
		if err != nil {
			return j, fmt.Errorf("job %s: write hosts: %w", jobID, err)
		}
	}
	if err := t.PutJob(j); err != nil {
		return j, err
	}
	return j, full
}

// hostChunk is how many hosts EachHost reads per statement.
const hostChunk = 256

func (t *tx) EachHost(jobID string, from int, fn func(result.Host) error) error {
	return t.eachHost(jobID, from, false, fn)
}

func (t *tx) EachFindingHost(jobID string, from int, fn func(result.Host) error) error {
	return t.eachHost(jobID, from, true, fn)
}

func (t *tx) eachHost(jobID string, from int, findingsOnly bool, fn func(result.Host) error) error {
	if noKey(jobID) {
		return nil
	}
	type row struct {
		Seq int32
		Rec []byte
	}
	next := int32(max(0, from))
	for {
		rs, err := rows(t, pgx.RowToStructByPos[row], `SELECT seq, rec FROM job_hosts
			WHERE job_id = $1 AND seq >= $2 AND (has_findings OR NOT $3) ORDER BY seq LIMIT $4`,
			jobID, next, findingsOnly, hostChunk)
		if err != nil {
			return fmt.Errorf("read hosts of job %s: %w", jobID, err)
		}
		for _, r := range rs {
			var h result.Host
			if err := json.Unmarshal(r.Rec, &h); err != nil {
				return fmt.Errorf("decode host %d of job %s: %w", r.Seq, jobID, err)
			}
			if err := fn(h); err != nil {
				return err
			}
		}
		if len(rs) < hostChunk {
			return nil
		}
		next = rs[len(rs)-1].Seq + 1
	}
}

func (t *tx) Tracking(jobID string) (findings.Tracking, error) {
	return getRec[findings.Tracking](t, kTracking, jobID)
}

func (t *tx) PutTracking(tr findings.Tracking) error {
	if _, err := t.Job(tr.Job); err != nil {
		return fmt.Errorf("findings tracking: %w", err)
	}
	return putRec(t, kTracking, tr, []string{tr.Job}, nil)
}

func (t *tx) Upload(boxID, uploadID string) (store.Upload, error) {
	return getRec[store.Upload](t, kUploads, boxID, uploadID)
}

func (t *tx) PutUpload(u store.Upload) error {
	if noKey(u.BoxID, u.UploadID) {
		return fmt.Errorf("upload %q of box %q: a NUL byte in its ids", u.UploadID, u.BoxID)
	}
	return putRec(t, kUploads, u, []string{u.BoxID, u.UploadID}, nil)
}

func (t *tx) Session(id string) (store.Session, error) {
	return getRec[store.Session](t, kSessions, id)
}

func (t *tx) PutSession(s store.Session) error {
	if s.ID == "" || noKey(s.ID) {
		return errors.New("session: an id without NUL bytes is required")
	}
	return putRec(t, kSessions, s, []string{s.ID}, []string{"expires", "user_name"}, max(0, s.Expires.UnixNano()), s.User)
}

func (t *tx) DeleteSession(id string) error {
	if noKey(id) {
		return nil
	}
	if _, err := t.exec("DELETE FROM sessions WHERE id = $1", id); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions deletes those expiring at now or before, found
// by the expiry index.
func (t *tx) DeleteExpiredSessions(now time.Time) error {
	if _, err := t.exec("DELETE FROM sessions WHERE expires <= $1", max(0, now.UnixNano())); err != nil {
		return fmt.Errorf("delete expired sessions: %w", err)
	}
	return nil
}

// DeleteUserSessions deletes them by the sessions_of_user index.
func (t *tx) DeleteUserSessions(user string) error {
	if noKey(user) {
		return nil
	}
	if _, err := t.exec("DELETE FROM sessions WHERE user_name = $1", user); err != nil {
		return fmt.Errorf("delete sessions of %q: %w", user, err)
	}
	return nil
}

func (t *tx) SessionCount() (int, error) {
	return t.count("sessions", "SELECT count(*) FROM sessions")
}

func (t *tx) Rollout(account, channel string) (store.Rollout, error) {
	return getRec[store.Rollout](t, kRollouts, account, channel)
}

func (t *tx) Rollouts(account string) ([]store.Rollout, error) {
	return listRecs[store.Rollout](t, "rollouts of "+account, "SELECT rec FROM rollouts WHERE account = $1 ORDER BY channel", account)
}

// PutRollout refuses what the embedded store refuses (an account name
// with a newline), so that a database moves between the two.
func (t *tx) PutRollout(r store.Rollout) error {
	if r.Account == "" || r.Channel == "" || strings.Contains(r.Account, "\n") || noKey(r.Account, r.Channel) {
		return fmt.Errorf("rollout %q of account %q: account and channel are required, the account without a newline", r.Channel, r.Account)
	}
	return putRec(t, kRollouts, r, []string{r.Account, r.Channel}, nil)
}

// checkAccount refuses what the embedded store refuses as an account of
// a group or an audit entry (empty, or with a newline: its key
// separator), so that a database moves between the two.
func checkAccount(account, what string) error {
	if account == "" || strings.Contains(account, "\n") || noKey(account) {
		return fmt.Errorf("%s: account %q: required, without a newline", what, account)
	}
	return nil
}

func (t *tx) AssetGroups(account string) ([]store.AssetGroup, error) {
	if noKey(account) {
		return nil, nil
	}
	return listRecs[store.AssetGroup](t, "asset groups of "+account,
		"SELECT rec FROM asset_groups WHERE account = $1 ORDER BY name", account)
}

func (t *tx) PutAssetGroup(g store.AssetGroup) error {
	if err := checkAccount(g.Account, "asset group"); err != nil {
		return err
	}
	if g.Name == "" || noKey(g.Name) {
		return fmt.Errorf("asset group of account %q: a name without NUL bytes is required", g.Account)
	}
	return putRec(t, kGroups, g, []string{g.Account, g.Name}, nil)
}

func (t *tx) DeleteAssetGroup(account, name string) error {
	if noKey(account, name) {
		return fmt.Errorf("asset group %q of account %q: %w", name, account, store.ErrNotFound)
	}
	tag, err := t.exec("DELETE FROM asset_groups WHERE account = $1 AND name = $2", account, name)
	if err != nil {
		return fmt.Errorf("delete asset group %q of account %q: %w", name, account, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("asset group %q of account %q: %w", name, account, store.ErrNotFound)
	}
	return nil
}

// AppendAudit takes the entry's Seq from the audit table's sequence, one
// for every replica: entries of concurrent transactions get distinct
// numbers in the order they were appended. Entries become visible when
// their transactions commit, which need not be in Seq order: a page read
// meanwhile lacks an entry whose transaction has not committed yet, which
// a later read shows in its place.
func (t *tx) AppendAudit(e store.AuditEntry) error {
	if err := checkAccount(e.Account, "audit entry"); err != nil {
		return err
	}
	e.Seq = 0 // the column's
	raw, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode audit entry of account %q: %w", e.Account, err)
	}
	if _, err := t.exec("INSERT INTO audit (account, rec) VALUES ($1, $2)", e.Account, raw); err != nil {
		return fmt.Errorf("write audit entry of account %q: %w", e.Account, err)
	}
	return nil
}

func (t *tx) AuditLog(account string, before uint64, limit int) ([]store.AuditEntry, error) {
	if limit <= 0 || noKey(account) {
		return nil, nil
	}
	if before == 0 || before > math.MaxInt64 {
		before = math.MaxInt64
	}
	type row struct {
		Seq int64
		Rec []byte
	}
	rs, err := rows(t, pgx.RowToStructByPos[row],
		"SELECT seq, rec FROM audit WHERE account = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3", account, int64(before), limit)
	if err != nil {
		return nil, fmt.Errorf("read audit log of account %q: %w", account, err)
	}
	out := make([]store.AuditEntry, 0, len(rs))
	for _, r := range rs {
		var e store.AuditEntry
		if err := json.Unmarshal(r.Rec, &e); err != nil {
			return nil, fmt.Errorf("decode audit entry %d: %w", r.Seq, err)
		}
		e.Seq = uint64(r.Seq)
		out = append(out, e)
	}
	return out, nil
}

// findingsField is how encoding/json writes a host's non-empty findings
// list (the embedded store's test for a host with findings; see Import).
var findingsField = []byte(`"findings":[`)

func hasFindings(rec []byte) bool { return bytes.Contains(rec, findingsField) }
