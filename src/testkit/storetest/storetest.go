// Package storetest is the contract of package store's Store and Tx: the
// cases every implementation passes (the embedded bbolt store and the
// PostgreSQL one each run it from their tests), among them what
// concurrent transactions may and may not do, and the people's records
// (people.go: sessions by user, asset groups, the audit log). It is
// test-only.
package storetest

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/findings"
	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/scan/result"
)

// Opener opens the one database of a test case with a job's result
// limits; it is called again, after the store it gave was closed, to
// check what persisted.
type Opener func(lim store.Limits) store.Store

// Run runs every case of the contract as a subtest, each on a database
// of its own: newDB makes an empty one and returns its Opener.
func Run(t *testing.T, newDB func(t *testing.T) Opener) {
	for _, c := range []struct {
		name string
		run  func(*testing.T, Opener)
	}{
		{"BoxesAndIndexes", testBoxesAndIndexes},
		{"JobsUploadsSessions", testJobsUploadsSessions},
		{"SessionExpiry", testSessionExpiry},
		{"JobHosts", testJobHosts},
		{"JobFindings", testJobFindings},
		{"Rollouts", testRollouts},
		{"Bytes", testBytes},
		{"ActivationRace", testActivationRace},
		{"UniqueKeyRace", testUniqueKeyRace},
		{"Batch", testBatch},
		{"Rollback", testRollback},
		{"UserSessionsDeleted", testUserSessionsDeleted},
		{"AssetGroups", testAssetGroups},
		{"AuditLog", testAuditLog},
		{"AuditConcurrent", testAuditConcurrent},
	} {
		t.Run(c.name, func(t *testing.T) { c.run(t, newDB(t)) })
	}
}

func newBox(t *testing.T) store.Box {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return store.Box{ID: store.BoxID(pub), Key: platformapi.EncodeKey(pub), Code: platformapi.ActivationCode(pub), State: store.BoxPending}
}

var t0 = time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)

func testBoxesAndIndexes(t *testing.T, db Opener) {
	st := db(store.DefaultLimits)
	a, b := newBox(t), newBox(t)
	err := st.Update(func(tx store.Tx) error {
		for _, x := range []store.Box{a, b} {
			if err := tx.PutBox(x); err != nil {
				return err
			}
		}
		if n, _ := tx.PendingCount(); n != 2 {
			t.Errorf("pending %d, want 2", n)
		}
		a.State, a.Name = store.BoxActive, "pk_alice"
		if err := tx.PutBox(a); err != nil {
			return err
		}
		b.State, b.Name = store.BoxActive, "pk_alice"
		if err := tx.PutBox(b); !errors.Is(err, store.ErrExists) {
			t.Errorf("second box with the same name: %v, want ErrExists", err)
		}
		b.Name = "pk_alice_2"
		if err := tx.PutBox(b); err != nil {
			return err
		}
		// A rename frees the old name.
		a.Name = "lab"
		if err := tx.PutBox(a); err != nil {
			return err
		}
		if _, err := tx.BoxByName("pk_alice"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("old name still indexed: %v", err)
		}
		// Another box cannot claim a's key or code.
		c := newBox(t)
		c.Key = a.Key
		if err := tx.PutBox(c); !errors.Is(err, store.ErrExists) {
			t.Errorf("second box with a's key: %v, want ErrExists", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	st = db(store.DefaultLimits) // persisted
	defer st.Close()
	st.View(func(tx store.Tx) error {
		for _, tc := range []struct {
			name string
			get  func() (store.Box, error)
			want string
		}{
			{"by id", func() (store.Box, error) { return tx.Box(b.ID) }, b.ID},
			{"by key", func() (store.Box, error) { return tx.BoxByKey(a.Key) }, a.ID},
			{"by code", func() (store.Box, error) { return tx.BoxByCode(b.Code) }, b.ID},
			{"by name", func() (store.Box, error) { return tx.BoxByName("lab") }, a.ID},
		} {
			got, err := tc.get()
			if err != nil || got.ID != tc.want {
				t.Errorf("%s: %v %v, want %s", tc.name, got.ID, err, tc.want)
			}
		}
		if n, _ := tx.PendingCount(); n != 0 {
			t.Errorf("pending %d after activation, want 0", n)
		}
		all, _ := tx.Boxes()
		if len(all) != 2 {
			t.Errorf("%d boxes", len(all))
		}
		return nil
	})
	st.Update(func(tx store.Tx) error {
		if err := tx.DeleteBox(a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.BoxByKey(a.Key); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted box still found by key")
		}
		return nil
	})
}

func testJobsUploadsSessions(t *testing.T, db Opener) {
	st := db(store.DefaultLimits)
	defer st.Close()
	err := st.Update(func(tx store.Tx) error {
		for i, id := range []string{"job-b", "job-a", "job-c"} {
			if err := tx.PutJob(store.Job{ID: id, BoxID: "box1", State: store.JobPending, Created: t0.Add(time.Duration(i) * time.Second)}); err != nil {
				return err
			}
		}
		if err := tx.PutJob(store.Job{ID: "job-x", BoxID: "box2", Created: t0}); err != nil {
			return err
		}
		if err := tx.PutJob(store.Job{ID: "job-x", BoxID: "box1", Created: t0}); err == nil {
			t.Error("a job moved to another box")
		}
		jobs, err := tx.JobsOf("box1")
		if err != nil {
			return err
		}
		if len(jobs) != 3 || jobs[0].ID != "job-b" || jobs[2].ID != "job-c" {
			t.Errorf("jobs of box1 %+v, want b, a, c (oldest first)", jobs)
		}
		if err := tx.DeleteJob("job-a"); err != nil {
			return err
		}
		if _, err := tx.Job("job-a"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted job: %v", err)
		}
		if jobs, err := tx.JobsOf("box1"); err != nil || len(jobs) != 2 || jobs[0].ID != "job-b" || jobs[1].ID != "job-c" {
			t.Errorf("jobs of box1 after deleting job-a: %+v, %v; want b, c", jobs, err)
		}
		if err := tx.DeleteJob("job-a"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleting a deleted job: %v", err)
		}
		if err := tx.PutUpload(store.Upload{BoxID: "box1", UploadID: "u1", JobID: "job-b"}); err != nil {
			return err
		}
		if _, err := tx.Upload("box2", "u1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("upload ids are per box: %v", err)
		}
		for _, s := range []store.Session{{ID: "old", Expires: t0}, {ID: "new", Expires: t0.Add(time.Hour)}} {
			if err := tx.PutSession(s); err != nil {
				return err
			}
		}
		if err := tx.DeleteExpiredSessions(t0); err != nil {
			return err
		}
		if _, err := tx.Session("old"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("expired session kept")
		}
		if _, err := tx.Session("new"); err != nil {
			t.Errorf("live session deleted: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.View(func(tx store.Tx) error { return tx.PutUser(store.User{Name: "x"}) }); err == nil {
		t.Error("write in a read-only transaction succeeded")
	}
}

// sessionExpiry: expired sessions go by their expiry, also after a
// session's expiry changed or it was deleted.
func testSessionExpiry(t *testing.T, db Opener) {
	st := db(store.DefaultLimits)
	defer st.Close()
	err := st.Update(func(tx store.Tx) error {
		for i := range 50 {
			s := store.Session{ID: fmt.Sprintf("s%02d", i), User: "alice", Expires: t0.Add(time.Duration(i) * time.Minute)}
			if err := tx.PutSession(s); err != nil {
				return err
			}
		}
		// s00 is extended past everything; s01 is deleted.
		if err := tx.PutSession(store.Session{ID: "s00", User: "alice", Expires: t0.Add(time.Hour)}); err != nil {
			return err
		}
		if err := tx.DeleteSession("s01"); err != nil {
			return err
		}
		if err := tx.DeleteSession("never-there"); err != nil {
			return fmt.Errorf("deleting an unknown session: %w", err)
		}
		return tx.DeleteExpiredSessions(t0.Add(10 * time.Minute))
	})
	if err != nil {
		t.Fatal(err)
	}
	st.View(func(tx store.Tx) error {
		// Left: s00 (extended) and s11..s49 (expiring after now; s10
		// expires at now).
		if n, _ := tx.SessionCount(); n != 40 {
			t.Errorf("%d sessions left, want 40", n)
		}
		for _, id := range []string{"s00", "s11", "s49"} {
			if _, err := tx.Session(id); err != nil {
				t.Errorf("session %s: %v", id, err)
			}
		}
		for _, id := range []string{"s01", "s02", "s10"} {
			if _, err := tx.Session(id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("session %s: %v, want deleted", id, err)
			}
		}
		return nil
	})
	if err := st.Update(func(tx store.Tx) error { return tx.DeleteExpiredSessions(t0.Add(2 * time.Hour)) }); err != nil {
		t.Fatal(err)
	}
	st.View(func(tx store.Tx) error {
		if n, _ := tx.SessionCount(); n != 0 {
			t.Errorf("%d sessions left after all expired, want 0", n)
		}
		return nil
	})
}

func testJobHosts(t *testing.T, db Opener) {
	st := db(store.Limits{JobHosts: 5, JobBytes: 1 << 20})
	host := func(i int) result.Host {
		return result.Host{Addr: netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), Up: true,
			Ports: []result.Port{{Proto: result.TCP, Port: 22, State: result.Open, Service: &result.Service{Name: "ssh", Product: "OpenSSH"}}}}
	}
	err := st.Update(func(tx store.Tx) error {
		for _, id := range []string{"job-1", "job-10"} {
			if err := tx.PutJob(store.Job{ID: id, BoxID: "box1", Created: t0}); err != nil {
				return err
			}
		}
		if _, err := tx.AppendHosts("job-none", []result.Host{host(1)}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("hosts of a job that does not exist: %v", err)
		}
		if j, err := tx.AppendHosts("job-1", []result.Host{host(1), host(2)}); err != nil || j.Hosts != 2 || j.HostBytes == 0 || j.Truncated != "" {
			t.Errorf("first batch: %+v, %v", j, err)
		}
		if _, err := tx.AppendHosts("job-10", []result.Host{host(9)}); err != nil {
			return err
		}
		j, err := tx.AppendHosts("job-1", []result.Host{host(3), host(4), host(5), host(6)})
		if !errors.Is(err, store.ErrJobFull) || j.Hosts != 5 || j.Truncated == "" {
			t.Errorf("batch past the limit: %+v, %v; want 5 hosts, truncated, ErrJobFull", j, err)
		}
		if j2, _ := tx.Job("job-1"); j2.Hosts != 5 || j2.Truncated == "" {
			t.Errorf("job record after the limit: %+v", j2)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	st = db(store.Limits{JobHosts: 5, JobBytes: 1 << 20})
	var got []string
	err = st.View(func(tx store.Tx) error {
		return tx.EachHost("job-1", 0, func(h result.Host) error {
			got = append(got, h.Addr.String())
			if len(h.Ports) != 1 || h.Ports[0].Service == nil || h.Ports[0].Service.Product != "OpenSSH" {
				t.Errorf("host %s read back as %+v", h.Addr, h)
			}
			return nil
		})
	})
	if err != nil || fmt.Sprint(got) != "[10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.5]" {
		t.Errorf("hosts of job-1 after reopening: %v, %v", got, err)
	}
	got = nil
	err = st.View(func(tx store.Tx) error {
		return tx.EachHost("job-1", 3, func(h result.Host) error { got = append(got, h.Addr.String()); return nil })
	})
	if err != nil || fmt.Sprint(got) != "[10.0.0.4 10.0.0.5]" {
		t.Errorf("hosts of job-1 from the 4th: %v, %v", got, err)
	}
	// By bytes: one host's encoding is about 150 bytes.
	st.Close()
	st = db(store.Limits{JobHosts: 1000, JobBytes: 400})
	defer st.Close()
	err = st.Update(func(tx store.Tx) error {
		j, err := tx.AppendHosts("job-10", []result.Host{host(10), host(11), host(12)})
		if !errors.Is(err, store.ErrJobFull) || j.Hosts != 2 || j.HostBytes > 400 {
			t.Errorf("byte limit: %+v, %v; want 2 hosts within 400 bytes", j, err)
		}
		if err := tx.DeleteJob("job-10"); err != nil {
			return err
		}
		n := 0
		if err := tx.EachHost("job-10", 0, func(result.Host) error { n++; return nil }); err != nil || n != 0 {
			t.Errorf("hosts of a deleted job: %d, %v", n, err)
		}
		n = 0
		if err := tx.EachHost("job-1", 0, func(result.Host) error { n++; return nil }); err != nil || n != 5 {
			t.Errorf("deleting job-10 touched job-1's hosts: %d left, %v", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// jobFindings: AppendHosts counts findings by severity; EachFindingHost
// gives the hosts with findings only (a banner spelling the findings
// field does not fool it), from the from-th; a tracking record is kept
// for a job that exists, found as the previous scan of a later job of the
// same targets, and removed with its job.
func testJobFindings(t *testing.T, db Opener) {
	st := db(store.DefaultLimits)
	defer st.Close()
	f := func(id string, sev result.Severity) result.Finding { return result.Finding{ID: id, Severity: sev} }
	hosts := []result.Host{
		{Addr: netip.MustParseAddr("10.0.0.1"), Up: true, Findings: []result.Finding{f("A", result.High), f("B", result.High), f("C", result.Low)}},
		{Addr: netip.MustParseAddr("10.0.0.2"), Up: true, Ports: []result.Port{{Proto: result.TCP, Port: 22, State: result.Open,
			Service: &result.Service{Name: "ssh", Banner: `x "findings":[{"id":"Z"}]`}}}},
		{Addr: netip.MustParseAddr("10.0.0.3"), Up: true, Findings: []result.Finding{f("D", result.Critical)}},
	}
	first := store.Job{ID: "job-1", BoxID: "box1", Targets: []string{"10.0.0.0/24"}, Ports: "22", State: platformapi.JobDone, Created: t0}
	second := store.Job{ID: "job-2", BoxID: "box1", Targets: []string{"10.0.0.1/24"}, Ports: "22", State: platformapi.JobRunning, Created: t0.Add(time.Hour)}
	other := store.Job{ID: "job-3", BoxID: "box1", Targets: []string{"10.0.0.0/24"}, Ports: "23", State: platformapi.JobRunning, Created: t0.Add(time.Hour)}
	err := st.Update(func(tx store.Tx) error {
		for _, j := range []store.Job{first, second, other} {
			if err := tx.PutJob(j); err != nil {
				return err
			}
		}
		j, err := tx.AppendHosts("job-1", hosts)
		if err != nil {
			return err
		}
		if want := map[result.Severity]int{result.High: 2, result.Low: 1, result.Critical: 1}; !maps.Equal(j.Findings, want) {
			t.Errorf("counts %v; want %v", j.Findings, want)
		}
		var got []string
		if err := tx.EachFindingHost("job-1", 0, func(h result.Host) error { got = append(got, h.Addr.String()); return nil }); err != nil {
			return err
		}
		if want := []string{"10.0.0.1", "10.0.0.3"}; !slices.Equal(got, want) {
			t.Errorf("hosts with findings %v; want %v", got, want)
		}
		got = nil
		tx.EachFindingHost("job-1", 1, func(h result.Host) error { got = append(got, h.Addr.String()); return nil })
		if want := []string{"10.0.0.3"}; !slices.Equal(got, want) {
			t.Errorf("hosts with findings from the second %v; want %v", got, want)
		}
		if err := tx.PutTracking(findings.Tracking{Job: "job-none"}); err == nil {
			t.Errorf("tracking of a job that does not exist stored")
		}
		if err := tx.PutTracking(findings.Tracking{Job: "job-1", At: t0}); err != nil {
			return err
		}
		if p, err := store.PreviousTracking(tx, second); err != nil || p.Job != "job-1" {
			t.Errorf("previous scan of job-2: %+v, %v; want job-1's record", p, err)
		}
		if _, err := store.PreviousTracking(tx, other); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("previous scan of job-3 (other ports): %v; want none", err)
		}
		if _, err := store.PreviousTracking(tx, first); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("previous scan of job-1 itself: %v; want none", err)
		}
		if err := tx.DeleteJob("job-1"); err != nil {
			return err
		}
		if _, err := tx.Tracking("job-1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("tracking of a deleted job: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// rollouts: rollouts are kept per account and channel, listed by
// account only (another account's, even one whose name is a prefix, are
// not), and survive a reopen.
func testRollouts(t *testing.T, db Opener) {
	st := db(store.DefaultLimits)
	put := []store.Rollout{
		{Account: "acme", Channel: store.ChannelSoftwarePrefix + "virtual", Version: "1.2.0", Target: "software/virtual/1.2.0/rootfs.img", Percent: 50, Started: t0, Updated: t0},
		{Account: "acme", Channel: store.ChannelSignatures, Version: "2026.12.01", Target: "signatures/2026.12.01/signatures.pkg", Group: "lab", Force: true},
		{Account: "acme2", Channel: store.ChannelSignatures, Version: "2026.12.02", Everyone: true},
	}
	err := st.Update(func(tx store.Tx) error {
		for _, r := range put {
			if err := tx.PutRollout(r); err != nil {
				return err
			}
		}
		if err := tx.PutRollout(store.Rollout{Account: "a\nb", Channel: store.ChannelSignatures}); err == nil {
			t.Error("an account name with a newline was accepted")
		}
		if err := tx.PutRollout(store.Rollout{Account: "acme"}); err == nil {
			t.Error("a rollout without a channel was accepted")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	st = db(store.DefaultLimits)
	defer st.Close()
	st.View(func(tx store.Tx) error {
		got, err := tx.Rollouts("acme")
		if err != nil {
			t.Fatal(err)
		}
		// Ordered by channel: "signatures" < "software/virtual".
		if len(got) != 2 || got[0].Channel != store.ChannelSignatures || got[1].Percent != 50 || !got[1].Started.Equal(t0) || !got[0].Force || got[0].Group != "lab" {
			t.Errorf("acme's rollouts: %+v", got)
		}
		r, err := tx.Rollout("acme2", store.ChannelSignatures)
		if err != nil || r.Version != "2026.12.02" || !r.Everyone {
			t.Errorf("acme2's signatures rollout: %+v, %v", r, err)
		}
		if _, err := tx.Rollout("acme2", store.ChannelSoftwarePrefix+"virtual"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing rollout: %v, want ErrNotFound", err)
		}
		return nil
	})
}

// bytes: what a box reports is kept as it came, NUL bytes and all (a
// service's banner can hold any byte): in a box's poll error, a host's
// banner and a finding's evidence.
func testBytes(t *testing.T, db Opener) {
	st := db(store.DefaultLimits)
	defer st.Close()
	b := newBox(t)
	b.PollError = "bad\x00byte \u2028 and \xff"
	banner := "SSH-2.0-x\x00\x01\r\n\"\\"
	h := result.Host{Addr: netip.MustParseAddr("10.1.2.3"), Up: true,
		Ports:    []result.Port{{Proto: result.TCP, Port: 22, State: result.Open, Service: &result.Service{Name: "ssh", Banner: banner}}},
		Findings: []result.Finding{{ID: "F\x00", Severity: result.High}}}
	err := st.Update(func(tx store.Tx) error {
		if err := tx.PutBox(b); err != nil {
			return err
		}
		if err := tx.PutJob(store.Job{ID: "job-1", BoxID: b.ID, Created: t0}); err != nil {
			return err
		}
		_, err := tx.AppendHosts("job-1", []result.Host{h})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = st.View(func(tx store.Tx) error {
		got, err := tx.Box(b.ID)
		if err != nil {
			return err
		}
		if got.PollError != string([]rune(b.PollError)) { // JSON keeps text: an invalid byte becomes U+FFFD
			t.Errorf("poll error read back as %q, stored %q", got.PollError, b.PollError)
		}
		n := 0
		err = tx.EachFindingHost("job-1", 0, func(g result.Host) error {
			n++
			if g.Ports[0].Service.Banner != banner || g.Findings[0].ID != "F\x00" {
				t.Errorf("host read back as %+v", g)
			}
			return nil
		})
		if n != 1 {
			t.Errorf("%d hosts with findings, want 1", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// race runs fn in n concurrent Updates and returns their errors. Each
// run of fn calls arrive once it has read what it decides on: the first
// time, arrive waits (up to a moment) until every contender got that
// far, so that on a store whose transactions run at once (PostgreSQL)
// they all decide on the same state before any writes, the race the
// store must settle. On a store that runs one writer at a time (bbolt)
// the others never arrive while one waits, and the moment passes.
func race(st store.Store, n int, fn func(i int, tx store.Tx, arrive func()) error) []error {
	all := make(chan struct{})
	var mu sync.Mutex
	arrived := 0
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first := true
			arrive := func() {
				if !first {
					return
				}
				first = false
				mu.Lock()
				if arrived++; arrived == n {
					close(all)
				}
				mu.Unlock()
				select {
				case <-all:
				case <-time.After(100 * time.Millisecond):
				}
			}
			errs[i] = st.Update(func(tx store.Tx) error { return fn(i, tx, arrive) })
		}()
	}
	wg.Wait()
	return errs
}

// winners checks that exactly one of errs is nil and every other wraps
// store.ErrExists, and returns the winner's index.
func winners(t *testing.T, what string, errs []error) int {
	t.Helper()
	win := -1
	for i, err := range errs {
		switch {
		case err == nil && win < 0:
			win = i
		case err == nil:
			t.Errorf("%s: contenders %d and %d both won", what, win, i)
		case !errors.Is(err, store.ErrExists):
			t.Errorf("%s: contender %d: %v, want an error wrapping ErrExists", what, i, err)
		}
	}
	if win < 0 {
		t.Errorf("%s: no contender won: %v", what, errs)
	}
	return win
}

// activationRace: contenders activate the same pending box by its code at
// the same moment (as two managers typing the code into two replicas):
// one activates it, the others hear it is already active.
func testActivationRace(t *testing.T, db Opener) {
	st := db(store.DefaultLimits)
	defer st.Close()
	b := newBox(t)
	if err := st.Update(func(tx store.Tx) error { return tx.PutBox(b) }); err != nil {
		t.Fatal(err)
	}
	errs := race(st, 4, func(i int, tx store.Tx, arrive func()) error {
		got, err := tx.BoxByCode(b.Code)
		if err != nil {
			return err
		}
		if got.State == store.BoxActive {
			return fmt.Errorf("already activated as %s: %w", got.Name, store.ErrExists)
		}
		arrive()
		got.State, got.Name, got.Account = store.BoxActive, fmt.Sprint("box-", i), fmt.Sprint("account-", i)
		return tx.PutBox(got)
	})
	win := winners(t, "activation", errs)
	st.View(func(tx store.Tx) error {
		got, err := tx.Box(b.ID)
		if err != nil || got.State != store.BoxActive || got.Name != fmt.Sprint("box-", win) || got.Account != fmt.Sprint("account-", win) {
			t.Errorf("box after the race: %+v, %v; want active as the winner's (%d)", got, err, win)
		}
		if n, _ := tx.PendingCount(); n != 0 {
			t.Errorf("%d pending boxes after activation", n)
		}
		return nil
	})
}

// uniqueKeyRace: contenders put different boxes with the same key (two
// first polls of one box reaching two replicas), then activate different
// boxes under one name: one wins each time, the others get ErrExists
// from PutBox.
func testUniqueKeyRace(t *testing.T, db Opener) {
	st := db(store.DefaultLimits)
	defer st.Close()
	key := newBox(t).Key
	boxes := make([]store.Box, 4)
	for i := range boxes {
		boxes[i] = newBox(t)
		boxes[i].Key = key
	}
	errs := race(st, len(boxes), func(i int, tx store.Tx, arrive func()) error {
		// No check of its own before the write: the store's is what
		// refuses the losers.
		arrive()
		return tx.PutBox(boxes[i])
	})
	win := winners(t, "same key", errs)
	st.View(func(tx store.Tx) error {
		got, err := tx.BoxByKey(key)
		if err != nil || got.ID != boxes[win].ID {
			t.Errorf("box with the key after the race: %s, %v; want the winner's %s", got.ID, err, boxes[win].ID)
		}
		if all, _ := tx.Boxes(); len(all) != 1 {
			t.Errorf("%d boxes after the race, want 1", len(all))
		}
		return nil
	})

	// The same name for different boxes.
	named := make([]store.Box, 3)
	err := st.Update(func(tx store.Tx) error {
		for i := range named {
			named[i] = newBox(t)
			if err := tx.PutBox(named[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	errs = race(st, len(named), func(i int, tx store.Tx, arrive func()) error {
		b, err := tx.Box(named[i].ID)
		if err != nil {
			return err
		}
		arrive()
		b.State, b.Name = store.BoxActive, "lab"
		return tx.PutBox(b)
	})
	win = winners(t, "same name", errs)
	st.View(func(tx store.Tx) error {
		if got, err := tx.BoxByName("lab"); err != nil || got.ID != named[win].ID {
			t.Errorf("box named lab: %s, %v; want the winner's %s", got.ID, err, named[win].ID)
		}
		return nil
	})
}

// batch: concurrent Batch calls each add one to a counter in the same
// record (a read, then a write): none is lost, even though the store may
// run a call's fn more than once; a call whose fn fails gets its own
// error and leaves no change, and the others' changes stand.
func testBatch(t *testing.T, db Opener) {
	st := db(store.DefaultLimits)
	defer st.Close()
	b := newBox(t)
	if err := st.Update(func(tx store.Tx) error { return tx.PutBox(b) }); err != nil {
		t.Fatal(err)
	}
	const n, failing = 16, 5
	errFail := errors.New("this call fails")
	errs := make([]error, n)
	var runs sync.Map
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = st.Batch(func(tx store.Tx) error {
				c, _ := runs.LoadOrStore(i, new(int))
				*c.(*int)++
				got, err := tx.Box(b.ID)
				if err != nil {
					return err
				}
				got.PollFailures++
				if err := tx.PutBox(got); err != nil {
					return err
				}
				if i == failing {
					return errFail
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if i == failing && !errors.Is(err, errFail) || i != failing && err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}
	for i := range n {
		if c, ok := runs.Load(i); !ok || *c.(*int) < 1 {
			t.Errorf("call %d's fn never ran", i)
		}
	}
	st.View(func(tx store.Tx) error {
		if got, err := tx.Box(b.ID); err != nil || got.PollFailures != n-1 {
			t.Errorf("counter after %d calls, one failing: %d, %v; want %d", n, got.PollFailures, err, n-1)
		}
		return nil
	})
}

// rollback: an Update whose fn fails leaves nothing of what it wrote,
// its error returned as is.
func testRollback(t *testing.T, db Opener) {
	st := db(store.DefaultLimits)
	defer st.Close()
	errStop := errors.New("stop")
	err := st.Update(func(tx store.Tx) error {
		if err := tx.PutUser(store.User{Name: "carol", Role: store.RoleManager}); err != nil {
			return err
		}
		if err := tx.PutJob(store.Job{ID: "job-1", BoxID: "box1", Created: t0}); err != nil {
			return err
		}
		return errStop
	})
	if err != errStop {
		t.Errorf("Update: %v, want fn's error as is", err)
	}
	st.View(func(tx store.Tx) error {
		if _, err := tx.User("carol"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("user of a rolled back Update: %v", err)
		}
		if _, err := tx.Job("job-1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("job of a rolled back Update: %v", err)
		}
		return nil
	})
}
