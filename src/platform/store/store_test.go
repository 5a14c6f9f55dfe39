package store_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/findings"
	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/scan/result"
)

func open(t *testing.T, path string) *store.Bolt {
	t.Helper()
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func newBox(t *testing.T) store.Box {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return store.Box{ID: store.BoxID(pub), Key: platformapi.EncodeKey(pub), Code: platformapi.ActivationCode(pub), State: store.BoxPending}
}

var t0 = time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)

func TestBoxesAndIndexes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	st := open(t, path)
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
	st = open(t, path) // persisted
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

func TestJobsUploadsSessions(t *testing.T) {
	st := open(t, filepath.Join(t.TempDir(), "p.db"))
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

// TestSessionExpiry: expired sessions go by their expiry index, also
// after a session's expiry changed or it was deleted, and the index of a
// database written before it existed is built when it is opened.
func TestSessionExpiry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	st := open(t, path)
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
	st.Close()

	// A database of before the index: its sessions are indexed at open.
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket([]byte("session_expiry")); err != nil {
			return err
		}
		b := tx.Bucket([]byte("sessions"))
		for i, exp := range []time.Time{t0, t0.Add(time.Hour)} {
			raw, _ := json.Marshal(store.Session{ID: fmt.Sprint("old", i), Expires: exp})
			if err := b.Put(fmt.Append(nil, "old", i), raw); err != nil {
				return err
			}
		}
		return b.Put([]byte("garbage"), []byte("{"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	st = open(t, path)
	defer st.Close()
	if err := st.Update(func(tx store.Tx) error { return tx.DeleteExpiredSessions(t0.Add(time.Minute)) }); err != nil {
		t.Fatal(err)
	}
	st.View(func(tx store.Tx) error {
		if n, _ := tx.SessionCount(); n != 1 {
			t.Errorf("%d sessions after migration and expiry, want 1 (old1)", n)
		}
		if _, err := tx.Session("old1"); err != nil {
			t.Errorf("old1: %v", err)
		}
		return nil
	})
}

// TestJobHosts: hosts append in order across batches, survive a reopen,
// go with their job, and a job stops taking hosts at the limits (by count
// and by bytes) with ErrJobFull, keeping what fit and saying so.
func TestJobHosts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	st := open(t, path)
	st.Limits = store.Limits{JobHosts: 5, JobBytes: 1 << 20}
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
	st = open(t, path)
	defer st.Close()
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
	st.Limits = store.Limits{JobHosts: 1000, JobBytes: 400}
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

// TestJobFindings: AppendHosts counts findings by severity; EachFindingHost
// gives the hosts with findings only (a banner spelling the findings
// field does not fool it), from the from-th; a tracking record is kept
// for a job that exists, found as the previous scan of a later job of the
// same targets, and removed with its job.
func TestJobFindings(t *testing.T) {
	st := open(t, filepath.Join(t.TempDir(), "p.db"))
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

// TestRollouts: rollouts are kept per account and channel, listed by
// account only (another account's, even one whose name is a prefix, are
// not), and survive a reopen.
func TestRollouts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	st := open(t, path)
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
	st = open(t, path)
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
