// Package platformstore tests platformd's databases end to end with the
// real binary: the embedded database backed up while platformd serves
// (platformd -backup) and restored, an embedded database moved into
// PostgreSQL (platformd -migrate-to) with every box still activated and
// polling, and a PostgreSQL database backed up with pg_dump and restored
// with pg_restore (docs/platform-operations.md). PostgreSQL is a
// throwaway cluster (testkit/pgtest).
package platformstore

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/platform/store/postgres"
	"picket.dev/picket/src/scan/result"
	"picket.dev/picket/src/testkit/pgtest"
	"picket.dev/picket/src/testkit/platformproc"
	"picket.dev/picket/src/testkit/testinput"
	"picket.dev/picket/src/testkit/webui"
)

// start runs platformd (killed when the test ends if still running).
func start(t *testing.T, bin, dir string, args ...string) *platformproc.Proc {
	t.Helper()
	p, err := platformproc.Start(bin, dir, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("platformd's log:\n%s", p.Output())
		}
	})
	return p
}

func stop(t *testing.T, p *platformproc.Proc) {
	t.Helper()
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
}

// box is a simulated box: its key and what it was last told.
type box struct {
	key  ed25519.PrivateKey
	code string
	name string // once active
}

func newBox(t *testing.T) *box {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &box{key: key, code: platformapi.ActivationCode(pub)}
}

// poll polls as b and returns the answer.
func poll(t *testing.T, p *platformproc.Proc, c *http.Client, b *box) platformapi.PollResponse {
	t.Helper()
	a, err := p.Poll(c, b.key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var r platformapi.PollResponse
	if a.Status != http.StatusOK || json.Unmarshal([]byte(a.Body), &r) != nil {
		t.Fatalf("poll: HTTP %d: %s", a.Status, a.Body)
	}
	return r
}

func web(t *testing.T, p *platformproc.Proc) *webui.Session {
	s := webui.New(t, platformproc.Host, p.CA(), func(ctx context.Context, network string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, p.Addr)
	})
	s.Login(platformproc.User, platformproc.Password, "/activate")
	return s
}

// fleet is what the upgrade and restore tests put in a database through a
// real platformd: boxes activated through the web UI (one left pending),
// a job launched on the first, picked up by its poll and answered with
// results, an asset group; and so the audit log of each.
type fleet struct {
	active  []*box
	pending *box
	job     string
	group   string
}

func makeFleet(t *testing.T, p *platformproc.Proc) fleet {
	c := p.Client(netip.MustParseAddr("127.0.0.1"), 4)
	f := fleet{active: []*box{newBox(t), newBox(t), newBox(t)}, pending: newBox(t), group: "fleet-lab-7"}
	for _, b := range append(f.active, f.pending) {
		if r := poll(t, p, c, b); r.State != platformapi.StateUnactivated {
			t.Fatalf("new box: state %q", r.State)
		}
	}
	s := web(t, p)
	var page string
	for i, b := range f.active {
		pg, err := s.Activate(b.code)
		if err != nil {
			t.Fatal(err)
		}
		r := poll(t, p, c, b)
		if r.State != platformapi.StateActive || r.Name == "" {
			t.Fatalf("activated box polls: %+v", r)
		}
		b.name = r.Name
		if i == 0 {
			page = pg
		}
		s.Do("GET", "/activate", nil) // the next form's token
	}
	f.job = s.LaunchJob(page, url.Values{"targets": {"10.9.0.0/30"}, "ports": {"22"}})
	r := poll(t, p, c, f.active[0])
	if len(r.Jobs) != 1 || r.Jobs[0].ID != f.job {
		t.Fatalf("the box's poll after the launch: jobs %+v, want %s", r.Jobs, f.job)
	}
	up := platformapi.JobUpdate{UploadID: "up-1", JobID: f.job, State: platformapi.JobDone,
		Hosts: []result.Host{
			{Addr: netip.MustParseAddr("10.9.0.1"), Up: true, Ports: []result.Port{{Proto: result.TCP, Port: 22, State: result.Open}}},
			{Addr: netip.MustParseAddr("10.9.0.2"), Up: true},
		}}
	if a, err := p.Signed(c, f.active[0].key, platformapi.PathJobUpdate, up, time.Now()); err != nil || a.Status != http.StatusOK {
		t.Fatalf("job update: %v %+v", err, a)
	}
	s.Post("/groups", "/groups", url.Values{"name": {f.group}})
	return f
}

// check polls every box of f on p: the active ones are active under
// their names, the pending one still shows its code, the job is done
// with its hosts, and a repeated upload is a duplicate.
func (f fleet) check(t *testing.T, p *platformproc.Proc) {
	t.Helper()
	c := p.Client(netip.MustParseAddr("127.0.0.1"), 4)
	for _, b := range f.active {
		if r := poll(t, p, c, b); r.State != platformapi.StateActive || r.Name != b.name {
			t.Errorf("box %s polls: state %q name %q; want active as %s", b.code, r.State, r.Name, b.name)
		}
	}
	if r := poll(t, p, c, f.pending); r.State != platformapi.StateUnactivated {
		t.Errorf("pending box polls: state %q", r.State)
	}
	up := platformapi.JobUpdate{UploadID: "up-1", JobID: f.job, State: platformapi.JobDone}
	a, err := p.Signed(c, f.active[0].key, platformapi.PathJobUpdate, up, time.Now())
	var resp platformapi.JobUpdateResponse
	if err != nil || a.Status != http.StatusOK || json.Unmarshal([]byte(a.Body), &resp) != nil || !resp.Duplicate {
		t.Errorf("the upload again: %v HTTP %d %s; want a duplicate", err, a.Status, a.Body)
	}
	s := web(t, p)
	if _, body := s.Do("GET", "/appliances", nil); !strings.Contains(body, f.active[1].name) {
		t.Errorf("the fleet page does not list %s", f.active[1].name)
	}
	if _, body := s.Do("GET", "/groups", nil); !strings.Contains(body, f.group) {
		t.Errorf("the asset groups page does not list %s", f.group)
	}
}

// auditLog is the audit log of the test user's account in st, newest
// first.
func auditLog(t *testing.T, st store.Store) []store.AuditEntry {
	t.Helper()
	var es []store.AuditEntry
	err := st.View(func(tx store.Tx) error {
		u, err := tx.User(platformproc.User)
		if err != nil {
			return err
		}
		es, err = tx.AuditLog(u.Account, 0, 1000)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// checkJob reads the job of f in st: done, with its two hosts.
func (f fleet) checkJob(t *testing.T, st store.Store) {
	t.Helper()
	st.View(func(tx store.Tx) error {
		j, err := tx.Job(f.job)
		if err != nil || j.State != platformapi.JobDone || j.Hosts != 2 {
			t.Errorf("job %s: %+v, %v; want done with 2 hosts", f.job, j, err)
		}
		var addrs []string
		tx.EachHost(f.job, 0, func(h result.Host) error { addrs = append(addrs, h.Addr.String()); return nil })
		if fmt.Sprint(addrs) != "[10.9.0.1 10.9.0.2]" {
			t.Errorf("hosts of job %s: %v", f.job, addrs)
		}
		return nil
	})
}

// TestMigrateToPostgres is the upgrade: a database a real platformd wrote
// on the embedded store is moved into PostgreSQL with platformd
// -migrate-to, and platformd on PostgreSQL serves every box as before.
func TestMigrateToPostgres(t *testing.T) {
	bin := testinput.Command(t, "platformd")
	cluster := pgtest.Start(t)
	dir := t.TempDir()
	p := start(t, bin, dir)
	f := makeFleet(t, p)

	// While platformd runs, the embedded file is locked: refused.
	db := cluster.NewDB(t)
	out, err := exec.Command(bin, "-data", dir, "-migrate-to", db).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "stop platformd") {
		t.Errorf("-migrate-to while platformd runs: %v\n%s", err, out)
	}
	stop(t, p)
	// The audit log written on the embedded store: the login, the
	// activations, the launch, the group.
	emb, err := store.Open(filepath.Join(dir, "platform.db"))
	if err != nil {
		t.Fatal(err)
	}
	logged := auditLog(t, emb)
	emb.Close()
	var actions []string
	for _, e := range logged {
		actions = append(actions, e.Action)
	}
	if fmt.Sprint(actions) != "[group.created job.launched box.activated box.activated box.activated login]" {
		t.Errorf("audit log on the embedded store: %v", actions)
	}
	out, err = exec.Command(bin, "-data", dir, "-migrate-to", db).CombinedOutput()
	if err != nil {
		t.Fatalf("-migrate-to: %v\n%s", err, out)
	}
	// The done job's findings tracking, the admin's web session, the
	// group and the audit log.
	if !strings.Contains(string(out), fmt.Sprintf("copied 4 boxes, 1 users, 1 jobs, 2 job_hosts, 1 job_tracking, 1 uploads, 1 sessions, 0 rollouts, 1 asset_groups, %d audit, ", len(logged))) {
		t.Errorf("-migrate-to says: %s", out)
	}
	if strings.Contains(string(out), "s3cret") {
		t.Errorf("-migrate-to repeats a password: %s", out)
	}
	// The embedded file is out of the way: what is served comes from
	// PostgreSQL.
	if err := os.Rename(filepath.Join(dir, "platform.db"), filepath.Join(dir, "platform.db.migrated")); err != nil {
		t.Fatal(err)
	}
	p = start(t, bin, dir, "-db", db)
	f.check(t, p)
	stop(t, p)
	if _, err := os.Stat(filepath.Join(dir, "platform.db")); err == nil {
		t.Errorf("platformd on PostgreSQL made an embedded database")
	}
	st, err := postgres.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f.checkJob(t, st)
	// The audit log came over whole, and what platformd on PostgreSQL
	// logged since (check's login) follows it.
	migrated := auditLog(t, st)
	if len(migrated) <= len(logged) {
		t.Fatalf("audit log on PostgreSQL: %d entries; want the %d migrated and more", len(migrated), len(logged))
	}
	newer := migrated[:len(migrated)-len(logged)]
	for i, e := range migrated[len(newer):] {
		if w := logged[i]; e.Seq != w.Seq || e.Action != w.Action || e.Object != w.Object || !e.Time.Equal(w.Time) || e.Addr != w.Addr {
			t.Errorf("migrated audit entry %d: %+v; want %+v", i, e, w)
		}
	}
	if newer[len(newer)-1].Seq <= logged[0].Seq || newer[len(newer)-1].Action != "login" {
		t.Errorf("first audit entry on PostgreSQL: %+v; want a login after seq %d", newer[len(newer)-1], logged[0].Seq)
	}

	// Into a database that holds something: refused.
	if err := os.Rename(filepath.Join(dir, "platform.db.migrated"), filepath.Join(dir, "platform.db")); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(bin, "-data", dir, "-migrate-to", db).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "not empty") {
		t.Errorf("-migrate-to into a database in use: %v\n%s", err, out)
	}
}

// TestBackupWhileServing: platformd -backup copies the embedded database
// of a running platformd while boxes keep registering; the copy,
// restored as docs/platform-operations.md says (stop, copy the file in
// as platform.db), serves every box it holds, its indexes whole.
func TestBackupWhileServing(t *testing.T) {
	bin := testinput.Command(t, "platformd")
	dir := t.TempDir()
	p := start(t, bin, dir)
	f := makeFleet(t, p)

	// New boxes register all the while (each a write), from many
	// addresses (platformd limits new boxes per address).
	var registered atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-done:
					return
				default:
				}
				c := p.Client(platformproc.Loopback(w*100+n/10), 1)
				if a, err := p.Poll(c, newBox(t).key, time.Now()); err == nil && a.Status == http.StatusOK {
					registered.Add(1)
				}
				c.CloseIdleConnections()
			}
		}()
	}
	for registered.Load() < 20 {
		time.Sleep(10 * time.Millisecond)
	}
	before := registered.Load()
	backup := filepath.Join(t.TempDir(), "platform-backup.db")
	out, err := exec.Command(bin, "-data", dir, "-backup", backup).CombinedOutput()
	after := registered.Load()
	if err != nil {
		t.Fatalf("-backup: %v\n%s", err, out)
	}
	for registered.Load() < after+20 {
		time.Sleep(10 * time.Millisecond)
	}
	close(done)
	wg.Wait()
	stop(t, p)
	if fi, err := os.Stat(backup); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup file: %v, %v; want mode 0600", fi.Mode(), err)
	}
	t.Logf("-backup: %s(%d boxes registered before it started, %d when it ended, %d in all)", out, before, after, registered.Load())

	// Restore into another data directory.
	dir2 := t.TempDir()
	raw, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir2, "platform.db"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	p2 := start(t, bin, dir2)
	f.check(t, p2)
	stop(t, p2)
	st, err := store.Open(filepath.Join(dir2, "platform.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f.checkJob(t, st)
	st.View(func(tx store.Tx) error {
		boxes, err := tx.Boxes()
		if err != nil {
			t.Fatal(err)
		}
		pending := 0
		for _, b := range boxes {
			if b.State == store.BoxPending {
				pending++
			}
			k, err1 := tx.BoxByKey(b.Key)
			c, err2 := tx.BoxByCode(b.Code)
			if err1 != nil || err2 != nil || k.ID != b.ID || c.ID != b.ID {
				t.Errorf("box %s: by key %s %v, by code %s %v", b.ID, k.ID, err1, c.ID, err2)
			}
		}
		// The fleet's 4 boxes and the ones registered by the time the
		// copy began, at least; not more than by the time it ended.
		if n := int64(len(boxes)); n < 4+before || n > 4+after {
			t.Errorf("%d boxes in the backup; between %d and %d registered while it ran", n, 4+before, 4+after)
		}
		if n, err := tx.PendingCount(); err != nil || n != pending {
			t.Errorf("pending count %d, %v; %d boxes are pending", n, err, pending)
		}
		return nil
	})
}

// TestPostgresDumpRestore: a database platformd wrote on PostgreSQL,
// dumped with pg_dump and restored with pg_restore into another as
// docs/platform-operations.md says, serves every box.
func TestPostgresDumpRestore(t *testing.T) {
	bin := testinput.Command(t, "platformd")
	cluster := pgtest.Start(t)
	db := cluster.NewDB(t)
	dir := t.TempDir()
	p := start(t, bin, dir, "-db", db)
	f := makeFleet(t, p)
	stop(t, p)

	dump := filepath.Join(t.TempDir(), "platform.dump")
	if out, err := pgtest.Command("pg_dump", "--format=custom", "--file="+dump, "--dbname="+db).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	restored := cluster.NewDB(t)
	if out, err := pgtest.Command("pg_restore", "--no-owner", "--exit-on-error", "--dbname="+restored, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	p = start(t, bin, t.TempDir(), "-db", restored)
	f.check(t, p)
	stop(t, p)
	st, err := postgres.Open(context.Background(), restored)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f.checkJob(t, st)
}
