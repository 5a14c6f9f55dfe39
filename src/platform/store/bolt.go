package store

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"picket.dev/picket/src/platform/findings"
	"picket.dev/picket/src/scan/result"
)

// BoxID is the id of the box with public key pub: 16 hex digits of a
// domain-separated SHA-256 of the key, so it says nothing about the
// activation code (another hash of the same key).
func BoxID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(append([]byte("picket-box-id\n"), pub...))
	return hex.EncodeToString(sum[:8])
}

// Buckets of the bbolt file. Records are JSON; the index buckets map a
// key, code or name to a box id.
var (
	bBoxes   = []byte("boxes")
	bBoxKey  = []byte("box_key")
	bBoxCode = []byte("box_code")
	bBoxName = []byte("box_name")
	bPending = []byte("pending")
	bUsers   = []byte("users")
	bJobs    = []byte("jobs")
	bBoxJobs = []byte("box_jobs") // box id + "/" + created (ns, 20 digits) + "/" + job id
	bUploads = []byte("uploads")  // box id + "/" + upload id
	// bJobHosts holds each job's hosts: job id + "/" + index (10 digits).
	bJobHosts = []byte("job_hosts")
	// bTracking holds each done job's findings.Tracking, by job id.
	bTracking = []byte("job_tracking")
	bSessions = []byte("sessions")
	// bSessionExp orders sessions by expiry: expires (ns, 20 digits) +
	// "/" + id, so that expired sessions are found without reading the
	// others.
	bSessionExp = []byte("session_expiry")
	// bRollouts holds each account's rollouts: account + "\n" + channel
	// (an account name has no newline).
	bRollouts = []byte("rollouts")
	// bGroups holds asset groups: account + "\n" + name.
	bGroups = []byte("asset_groups")
	// bAudit holds the audit log: account + "\n" + seq (20 digits), so
	// an account's entries are one range in order.
	bAudit    = []byte("audit")
	allBucket = [][]byte{bBoxes, bBoxKey, bBoxCode, bBoxName, bPending, bUsers, bJobs, bBoxJobs, bUploads, bSessions, bSessionExp, bJobHosts, bTracking, bRollouts, bGroups, bAudit}
)

// Bolt is the embedded Store: one bbolt file.
type Bolt struct {
	db *bolt.DB
	// Limits bound each job's results (DefaultLimits unless changed
	// before use).
	Limits Limits
	// memGuard is the Guard, in memory (see Guard).
	*memGuard
}

// Open opens (creating if needed) the bbolt database at path, waiting up
// to 5 s for another process to let go of it.
func Open(path string) (*Bolt, error) { return OpenWait(path, 5*time.Second) }

// OpenWait is Open waiting up to wait for the file's lock (a process that
// has the database open holds it).
func OpenWait(path string, wait time.Duration) (*Bolt, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: wait})
	if errors.Is(err, bolt.ErrTimeout) {
		// bbolt's own message ("timeout") does not say who holds it.
		return nil, fmt.Errorf("open database %s: another process (a running platformd?) holds its lock: %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		indexSessions := tx.Bucket(bSessionExp) == nil
		for _, b := range allBucket {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("create bucket %s: %w", b, err)
			}
		}
		if indexSessions {
			return indexAllSessions(tx)
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return &Bolt{db: db, Limits: DefaultLimits, memGuard: &memGuard{}}, nil
}

func (s *Bolt) View(fn func(Tx) error) error {
	return s.db.View(func(tx *bolt.Tx) error { return fn(boltTx{tx, s.Limits}) })
}

func (s *Bolt) Update(fn func(Tx) error) error {
	return s.db.Update(func(tx *bolt.Tx) error { return fn(boltTx{tx, s.Limits}) })
}

func (s *Bolt) Batch(fn func(Tx) error) error {
	return s.db.Batch(func(tx *bolt.Tx) error { return fn(boltTx{tx, s.Limits}) })
}

func (s *Bolt) Close() error { return s.db.Close() }

type boltTx struct {
	tx  *bolt.Tx
	lim Limits
}

func get[T any](t boltTx, bucket []byte, key string, what string) (T, error) {
	var v T
	raw := t.tx.Bucket(bucket).Get([]byte(key))
	if raw == nil {
		return v, fmt.Errorf("%s %q: %w", what, key, ErrNotFound)
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("decode %s %q: %w", what, key, err)
	}
	return v, nil
}

func put(t boltTx, bucket []byte, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s %q: %w", bucket, key, err)
	}
	if err := t.tx.Bucket(bucket).Put([]byte(key), raw); err != nil {
		return fmt.Errorf("write %s %q: %w", bucket, key, err)
	}
	return nil
}

func (t boltTx) byIndex(index []byte, k, what string) (Box, error) {
	id := t.tx.Bucket(index).Get([]byte(k))
	if id == nil {
		return Box{}, fmt.Errorf("box with %s %q: %w", what, k, ErrNotFound)
	}
	return t.Box(string(id))
}

func (t boltTx) Box(id string) (Box, error)         { return get[Box](t, bBoxes, id, "box") }
func (t boltTx) BoxByKey(key string) (Box, error)   { return t.byIndex(bBoxKey, key, "key") }
func (t boltTx) BoxByCode(code string) (Box, error) { return t.byIndex(bBoxCode, code, "code") }
func (t boltTx) BoxByName(name string) (Box, error) { return t.byIndex(bBoxName, name, "name") }
func (t boltTx) User(name string) (User, error)     { return get[User](t, bUsers, name, "user") }
func (t boltTx) Job(id string) (Job, error)         { return get[Job](t, bJobs, id, "job") }
func (t boltTx) Session(id string) (Session, error) { return get[Session](t, bSessions, id, "session") }
func (t boltTx) PutUser(u User) error               { return put(t, bUsers, u.Name, u) }
func (t boltTx) PutUpload(u Upload) error           { return put(t, bUploads, u.BoxID+"/"+u.UploadID, u) }
func (t boltTx) Upload(box, id string) (Upload, error) {
	return get[Upload](t, bUploads, box+"/"+id, "upload")
}

func all[T any](t boltTx, bucket []byte, prefix []byte) ([]T, error) {
	var out []T
	c := t.tx.Bucket(bucket).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var x T
		if err := json.Unmarshal(v, &x); err != nil {
			return nil, fmt.Errorf("decode %s %q: %w", bucket, k, err)
		}
		out = append(out, x)
	}
	return out, nil
}

func (t boltTx) Boxes() ([]Box, error)  { return all[Box](t, bBoxes, nil) }
func (t boltTx) Users() ([]User, error) { return all[User](t, bUsers, nil) }

func (t boltTx) PutBox(b Box) error {
	if b.ID == "" || b.Key == "" || b.Code == "" {
		return fmt.Errorf("box %q: id, key and code are required", b.ID)
	}
	old, err := t.Box(b.ID)
	switch {
	case errors.Is(err, ErrNotFound):
		old, err = Box{}, nil
	case err != nil:
		return err
	}
	claim := func(index []byte, k, what string) error {
		if k == "" {
			return nil
		}
		cur := t.tx.Bucket(index).Get([]byte(k))
		if cur != nil && string(cur) != b.ID {
			return fmt.Errorf("box %s: %s %q is another box's (%s): %w", b.ID, what, k, cur, ErrExists)
		}
		if cur != nil {
			return nil // already there: do not dirty the page (every poll rewrites the box)
		}
		return t.tx.Bucket(index).Put([]byte(k), []byte(b.ID))
	}
	name := ""
	if b.State == BoxActive {
		name = b.Name
	}
	if err := claim(bBoxKey, b.Key, "key"); err != nil {
		return err
	}
	if err := claim(bBoxCode, b.Code, "code"); err != nil {
		return err
	}
	if err := claim(bBoxName, name, "name"); err != nil {
		return err
	}
	if old.State == BoxActive && old.Name != "" && old.Name != name {
		if err := t.tx.Bucket(bBoxName).Delete([]byte(old.Name)); err != nil {
			return err
		}
	}
	switch {
	case b.State == BoxPending && old.State != BoxPending:
		err = t.tx.Bucket(bPending).Put([]byte(b.ID), nil)
	case b.State != BoxPending && old.State == BoxPending:
		err = t.tx.Bucket(bPending).Delete([]byte(b.ID))
	}
	if err != nil {
		return fmt.Errorf("box %s: pending index: %w", b.ID, err)
	}
	return put(t, bBoxes, b.ID, b)
}

func (t boltTx) PendingCount() (int, error) { return count(t, bPending), nil }

func (t boltTx) DeleteBox(id string) error {
	b, err := t.Box(id)
	if err != nil {
		return err
	}
	for _, kv := range []struct {
		bucket []byte
		k      string
	}{{bBoxKey, b.Key}, {bBoxCode, b.Code}, {bPending, b.ID}, {bBoxes, b.ID}} {
		if err := t.tx.Bucket(kv.bucket).Delete([]byte(kv.k)); err != nil {
			return fmt.Errorf("delete box %s: %w", id, err)
		}
	}
	if b.State == BoxActive && b.Name != "" {
		if err := t.tx.Bucket(bBoxName).Delete([]byte(b.Name)); err != nil {
			return fmt.Errorf("delete box %s: %w", id, err)
		}
	}
	return nil
}

func boxJobKey(j Job) string {
	return fmt.Sprintf("%s/%020d/%s", j.BoxID, j.Created.UnixNano(), j.ID)
}

func (t boltTx) PutJob(j Job) error {
	if j.ID == "" || j.BoxID == "" {
		return fmt.Errorf("job %q: id and box id are required", j.ID)
	}
	if old, err := t.Job(j.ID); err == nil && (old.BoxID != j.BoxID || !old.Created.Equal(j.Created)) {
		return fmt.Errorf("job %s: box and creation time cannot change", j.ID)
	}
	if err := t.tx.Bucket(bBoxJobs).Put([]byte(boxJobKey(j)), []byte(j.ID)); err != nil {
		return fmt.Errorf("job %s: index: %w", j.ID, err)
	}
	return put(t, bJobs, j.ID, j)
}

func (t boltTx) DeleteJob(id string) error {
	j, err := t.Job(id)
	if err != nil {
		return err
	}
	if err := t.tx.Bucket(bBoxJobs).Delete([]byte(boxJobKey(j))); err != nil {
		return fmt.Errorf("delete job %s: index: %w", id, err)
	}
	if err := t.tx.Bucket(bJobs).Delete([]byte(id)); err != nil {
		return fmt.Errorf("delete job %s: %w", id, err)
	}
	if err := t.tx.Bucket(bTracking).Delete([]byte(id)); err != nil {
		return fmt.Errorf("delete job %s: tracking: %w", id, err)
	}
	hosts := t.tx.Bucket(bJobHosts)
	prefix := []byte(id + "/")
	var keys [][]byte
	c := hosts.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, slices.Clone(k))
	}
	for _, k := range keys {
		if err := hosts.Delete(k); err != nil {
			return fmt.Errorf("delete job %s: hosts: %w", id, err)
		}
	}
	return nil
}

func (t boltTx) AppendHosts(jobID string, hosts []result.Host) (Job, error) {
	j, err := t.Job(jobID)
	if err != nil {
		return j, err
	}
	bucket := t.tx.Bucket(bJobHosts)
	var full error
	for i, h := range hosts {
		raw, err := json.Marshal(h)
		if err != nil {
			return j, fmt.Errorf("job %s: encode host %s: %w", jobID, h.Addr, err)
		}
		if j.Hosts >= t.lim.JobHosts || j.HostBytes+int64(len(raw)) > t.lim.JobBytes {
			full = fmt.Errorf("job %s: %d hosts (%d bytes) stored, the limit is %d hosts or %d bytes; %d more refused: %w",
				jobID, j.Hosts, j.HostBytes, t.lim.JobHosts, t.lim.JobBytes, len(hosts)-i, ErrJobFull)
			j.Truncated = fmt.Sprintf("the results reached the platform's limit of %d hosts or %d bytes per job; later hosts were not stored",
				t.lim.JobHosts, t.lim.JobBytes)
			break
		}
		if err := bucket.Put(fmt.Appendf(nil, "%s/%010d", jobID, j.Hosts), raw); err != nil {
			return j, fmt.Errorf("job %s: write host: %w", jobID, err)
		}
		j.Hosts++
		j.HostBytes += int64(len(raw))
		for _, f := range h.Findings {
			if j.Findings == nil {
				j.Findings = map[result.Severity]int{}
			}
			j.Findings[f.Severity]++
		}
	}
	if err := t.PutJob(j); err != nil {
		return j, err
	}
	return j, full
}

func (t boltTx) EachHost(jobID string, from int, fn func(result.Host) error) error {
	return t.eachHost(jobID, from, false, fn)
}

func (t boltTx) EachFindingHost(jobID string, from int, fn func(result.Host) error) error {
	return t.eachHost(jobID, from, true, fn)
}

// findingsField is how encoding/json writes a host's non-empty findings
// list. Inside a JSON string a quote is escaped, so the bytes cannot
// occur there: a host whose record lacks them has no findings.
var findingsField = []byte(`"findings":[`)

func (t boltTx) eachHost(jobID string, from int, findingsOnly bool, fn func(result.Host) error) error {
	prefix := []byte(jobID + "/")
	c := t.tx.Bucket(bJobHosts).Cursor()
	for k, v := c.Seek(fmt.Appendf(nil, "%s/%010d", jobID, max(0, from))); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if findingsOnly && !bytes.Contains(v, findingsField) {
			continue
		}
		var h result.Host
		if err := json.Unmarshal(v, &h); err != nil {
			return fmt.Errorf("decode host %q: %w", k, err)
		}
		if err := fn(h); err != nil {
			return err
		}
	}
	return nil
}

func (t boltTx) Tracking(jobID string) (findings.Tracking, error) {
	return get[findings.Tracking](t, bTracking, jobID, "findings tracking of job")
}

func (t boltTx) PutTracking(tr findings.Tracking) error {
	if _, err := t.Job(tr.Job); err != nil {
		return fmt.Errorf("findings tracking: %w", err)
	}
	return put(t, bTracking, tr.Job, tr)
}

func (t boltTx) JobsOf(boxID string) ([]Job, error) {
	var out []Job
	prefix := []byte(boxID + "/")
	c := t.tx.Bucket(bBoxJobs).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		j, err := t.Job(string(v))
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, nil
}

func sessionExpKey(s Session) []byte {
	return fmt.Appendf(nil, "%020d/%s", max(0, s.Expires.UnixNano()), s.ID)
}

func (t boltTx) PutSession(s Session) error {
	if s.ID == "" {
		return errors.New("session: id is required")
	}
	if old, err := t.Session(s.ID); err == nil {
		if err := t.tx.Bucket(bSessionExp).Delete(sessionExpKey(old)); err != nil {
			return fmt.Errorf("session: expiry index: %w", err)
		}
	}
	if err := t.tx.Bucket(bSessionExp).Put(sessionExpKey(s), nil); err != nil {
		return fmt.Errorf("session: expiry index: %w", err)
	}
	return put(t, bSessions, s.ID, s)
}

func (t boltTx) DeleteSession(id string) error {
	old, err := t.Session(id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err == nil {
		if err := t.tx.Bucket(bSessionExp).Delete(sessionExpKey(old)); err != nil {
			return fmt.Errorf("delete session: expiry index: %w", err)
		}
	}
	// An undecodable record goes too; its index entry, if any, is
	// removed when it expires.
	if err := t.tx.Bucket(bSessions).Delete([]byte(id)); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions walks the expiry index from its start up to now
// (a session expiring at now is expired): it reads only what it deletes.
func (t boltTx) DeleteExpiredSessions(now time.Time) error {
	limit := fmt.Appendf(nil, "%020d/", max(0, now.UnixNano()+1))
	idx, sessions := t.tx.Bucket(bSessionExp), t.tx.Bucket(bSessions)
	var dead [][]byte
	c := idx.Cursor()
	for k, _ := c.First(); k != nil && bytes.Compare(k, limit) < 0; k, _ = c.Next() {
		dead = append(dead, slices.Clone(k))
	}
	for _, k := range dead {
		id := k[bytes.IndexByte(k, '/')+1:]
		if err := sessions.Delete(id); err != nil {
			return fmt.Errorf("delete session: %w", err)
		}
		if err := idx.Delete(k); err != nil {
			return fmt.Errorf("delete session: expiry index: %w", err)
		}
	}
	return nil
}

// indexAllSessions builds the expiry index of a database written before
// it existed, once, at open; undecodable sessions are dropped.
func indexAllSessions(tx *bolt.Tx) error {
	sessions, idx := tx.Bucket(bSessions), tx.Bucket(bSessionExp)
	var bad [][]byte
	err := sessions.ForEach(func(k, v []byte) error {
		var s Session
		if json.Unmarshal(v, &s) != nil || s.ID != string(k) {
			bad = append(bad, slices.Clone(k))
			return nil
		}
		return idx.Put(sessionExpKey(s), nil)
	})
	if err != nil {
		return fmt.Errorf("index sessions by expiry: %w", err)
	}
	for _, k := range bad {
		if err := sessions.Delete(k); err != nil {
			return fmt.Errorf("index sessions by expiry: %w", err)
		}
	}
	return nil
}

func (t boltTx) SessionCount() (int, error) { return count(t, bSessions), nil }

// count walks a bucket's keys (Bucket.Stats does not see this
// transaction's uncommitted changes).
func count(t boltTx, bucket []byte) int {
	n := 0
	c := t.tx.Bucket(bucket).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}

func rolloutKey(account, channel string) string { return account + "\n" + channel }

func (t boltTx) Rollout(account, channel string) (Rollout, error) {
	return get[Rollout](t, bRollouts, rolloutKey(account, channel), "rollout")
}

func (t boltTx) Rollouts(account string) ([]Rollout, error) {
	return all[Rollout](t, bRollouts, []byte(account+"\n"))
}

func (t boltTx) PutRollout(r Rollout) error {
	if r.Account == "" || r.Channel == "" || strings.Contains(r.Account, "\n") {
		return fmt.Errorf("rollout %q of account %q: account and channel are required, the account without a newline", r.Channel, r.Account)
	}
	return put(t, bRollouts, rolloutKey(r.Account, r.Channel), r)
}

// DeleteUserSessions walks every session: there are as many as people
// logged in, and this runs only when a manager disables or resets one.
func (t boltTx) DeleteUserSessions(user string) error {
	var ids []string
	c := t.tx.Bucket(bSessions).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var s Session
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("delete sessions of %q: decode session: %w", user, err)
		}
		if s.User == user {
			ids = append(ids, s.ID)
		}
	}
	for _, id := range ids {
		if err := t.DeleteSession(id); err != nil {
			return fmt.Errorf("delete sessions of %q: %w", user, err)
		}
	}
	return nil
}

// checkAccount refuses an empty account or one with a newline (the key
// separator).
func checkAccount(account, what string) error {
	if account == "" || strings.Contains(account, "\n") {
		return fmt.Errorf("%s: account %q: required, without a newline", what, account)
	}
	return nil
}

func (t boltTx) AssetGroups(account string) ([]AssetGroup, error) {
	return all[AssetGroup](t, bGroups, []byte(account+"\n"))
}

func (t boltTx) PutAssetGroup(g AssetGroup) error {
	if err := checkAccount(g.Account, "asset group"); err != nil {
		return err
	}
	if g.Name == "" {
		return fmt.Errorf("asset group of account %q: name required", g.Account)
	}
	return put(t, bGroups, g.Account+"\n"+g.Name, g)
}

func (t boltTx) DeleteAssetGroup(account, name string) error {
	k := []byte(account + "\n" + name)
	if t.tx.Bucket(bGroups).Get(k) == nil {
		return fmt.Errorf("asset group %q of account %q: %w", name, account, ErrNotFound)
	}
	if err := t.tx.Bucket(bGroups).Delete(k); err != nil {
		return fmt.Errorf("delete asset group %q: %w", name, err)
	}
	return nil
}

func auditKey(account string, seq uint64) []byte {
	return fmt.Appendf(nil, "%s\n%020d", account, seq)
}

func (t boltTx) AppendAudit(e AuditEntry) error {
	if err := checkAccount(e.Account, "audit entry"); err != nil {
		return err
	}
	b := t.tx.Bucket(bAudit)
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("audit entry: sequence: %w", err)
	}
	e.Seq = seq
	return put(t, bAudit, string(auditKey(e.Account, seq)), e)
}

func (t boltTx) AuditLog(account string, before uint64, limit int) ([]AuditEntry, error) {
	if before == 0 {
		before = ^uint64(0)
	}
	prefix := []byte(account + "\n")
	var out []AuditEntry
	c := t.tx.Bucket(bAudit).Cursor()
	// Seek lands on the first key at or after before's; the entries
	// wanted are those before it, walked backwards.
	k, v := c.Seek(auditKey(account, before))
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, v = c.Prev() {
		var e AuditEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, fmt.Errorf("decode audit entry %q: %w", k, err)
		}
		out = append(out, e)
	}
	return out, nil
}
