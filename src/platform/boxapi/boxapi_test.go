package boxapi_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/platform/boxapi"
	"picket.dev/picket/src/platform/fleet"
	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/testkit/fakeclock"
	"picket.dev/picket/src/testkit/webui"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

type bench struct {
	st    store.Store
	clock *fakeclock.Clock
	api   *boxapi.Server
	h     http.Handler
	log   *syncBuf
}

func newBench(t *testing.T) *bench {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := fakeclock.New(t, time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC))
	lb := &syncBuf{}
	api := boxapi.New(st, c.Now, slog.New(slog.NewTextHandler(lb, nil)))
	t.Cleanup(func() { api.Close() })
	return &bench{st: st, clock: c, api: api, h: api.Handler(), log: lb}
}

func newKey(t *testing.T) ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// request builds a signed request at time at.
func request(t *testing.T, path string, key ed25519.PrivateKey, v any, at time.Time) *http.Request {
	t.Helper()
	body, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	r.RemoteAddr = "192.0.2.7:40000"
	if err := platformapi.Sign(r, body, key, at); err != nil {
		t.Fatal(err)
	}
	return r
}

func (b *bench) do(t *testing.T, r *http.Request, out any) (int, platformapi.Error) {
	t.Helper()
	w := httptest.NewRecorder()
	b.h.ServeHTTP(w, r)
	var e platformapi.Error
	if w.Code != http.StatusOK {
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
			t.Fatalf("status %d with a body that is no platformapi.Error: %q", w.Code, w.Body)
		}
		return w.Code, e
	}
	if out != nil {
		if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
			t.Fatalf("decode %T: %v (%q)", out, err, w.Body)
		}
	}
	return w.Code, e
}

func (b *bench) poll(t *testing.T, key ed25519.PrivateKey, req platformapi.PollRequest) (int, platformapi.PollResponse, platformapi.Error) {
	t.Helper()
	var resp platformapi.PollResponse
	code, e := b.do(t, request(t, platformapi.PathPoll, key, req, b.clock.Now()), &resp)
	return code, resp, e
}

func (b *bench) update(t *testing.T, key ed25519.PrivateKey, u platformapi.JobUpdate) (int, platformapi.JobUpdateResponse, platformapi.Error) {
	t.Helper()
	var resp platformapi.JobUpdateResponse
	code, e := b.do(t, request(t, platformapi.PathJobUpdate, key, u, b.clock.Now()), &resp)
	return code, resp, e
}

var alice = store.User{Name: "alice", Role: store.RoleManager, Account: "acme"}

// activate makes key's box known (one poll) and activates it as u.
func (b *bench) activate(t *testing.T, key ed25519.PrivateKey, u store.User) store.Box {
	t.Helper()
	if code, _, e := b.poll(t, key, platformapi.PollRequest{Board: "virtual"}); code != http.StatusOK {
		t.Fatalf("first poll: %d %+v", code, e)
	}
	box, err := fleet.Activate(b.st, platformapi.ActivationCode(key.Public().(ed25519.PublicKey)), u, "", b.clock.Now(), nil)
	if err != nil {
		t.Fatalf("activate: %v", err)
	}
	return box
}

func TestUnactivatedPoll(t *testing.T) {
	b := newBench(t)
	key := newKey(t)
	req := platformapi.PollRequest{Board: "rpi4", Versions: platformapi.Versions{Scanner: "1.2.3", Signatures: "2026.11", Update: "downloading 41%"},
		LANv4: []string{"10.0.0.5/24"}, Capacity: platformapi.Capacity{CPUs: 4}}
	code, resp, e := b.poll(t, key, req)
	if code != http.StatusOK {
		t.Fatalf("poll: %d %+v", code, e)
	}
	want := platformapi.PollResponse{State: platformapi.StateUnactivated, PollIntervalSeconds: 15}
	if resp.State != want.State || resp.PollIntervalSeconds != want.PollIntervalSeconds || resp.Name != "" || resp.Settings != nil || resp.Jobs != nil {
		t.Fatalf("poll response %+v, want %+v", resp, want)
	}
	pub := key.Public().(ed25519.PublicKey)
	if err := b.api.Flush(); err != nil {
		t.Fatal(err)
	}
	b.st.View(func(tx store.Tx) error {
		box, err := tx.BoxByCode(platformapi.ActivationCode(pub))
		if err != nil {
			t.Fatalf("pending box not recorded under its code: %v", err)
		}
		if box.State != store.BoxPending || box.Board != "rpi4" || box.Versions.Scanner != "1.2.3" || box.Versions.Update != "downloading 41%" || box.LANv4[0] != "10.0.0.5/24" || !box.LastPoll.Equal(b.clock.Now()) {
			t.Errorf("pending box %+v", box)
		}
		return nil
	})
	// A job update from a pending box is refused.
	if code, _, e := b.update(t, key, platformapi.JobUpdate{UploadID: "u1", JobID: "job-x", State: platformapi.JobAccepted}); code != http.StatusForbidden || e.Code != platformapi.ErrNotActivated {
		t.Errorf("job update of a pending box: %d %+v, want 403 not_activated", code, e)
	}
}

func TestActivePoll(t *testing.T) {
	b := newBench(t)
	key := newKey(t)
	box := b.activate(t, key, alice)
	if box.Name != "pk_alice" {
		t.Errorf("name %q, want pk_alice", box.Name)
	}
	edit := fleet.EditOf(box)
	edit.VLANs = "100 10.100.0.5/24 lab\n200 10.200.0.5/24\n"
	edit.PollInterval = "60"
	box, err := fleet.SaveSettings(b.st, box.ID, alice, edit, nil)
	if err != nil {
		t.Fatalf("save settings: %v", err)
	}
	job, err := fleet.LaunchJob(b.st, box.ID, alice, "10.100.0.0/24", "22,80", "100", nil, b.clock.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(time.Minute)
	code, resp, e := b.poll(t, key, platformapi.PollRequest{})
	if code != http.StatusOK {
		t.Fatalf("poll: %d %+v", code, e)
	}
	if resp.State != platformapi.StateActive || resp.Name != "pk_alice" || resp.PollIntervalSeconds != 60 {
		t.Errorf("response %+v", resp)
	}
	if resp.Settings == nil || resp.Settings.Version != box.Settings.Version || len(resp.Settings.ScanVLANs) != 2 || resp.Settings.ScanVLANs[1].ID != 200 {
		t.Fatalf("settings %+v, want version %d with 2 VLANs", resp.Settings, box.Settings.Version)
	}
	if len(resp.Jobs) != 1 || resp.Jobs[0].ID != job.ID || resp.Jobs[0].Ports != "22,80" || resp.Jobs[0].VLAN != 100 {
		t.Fatalf("jobs %+v, want %s on VLAN 100", resp.Jobs, job.ID)
	}
	// The box applied the settings: no settings; the job stays until acknowledged.
	_, resp, _ = b.poll(t, key, platformapi.PollRequest{SettingsVersion: box.Settings.Version})
	if resp.Settings != nil || len(resp.Jobs) != 1 {
		t.Fatalf("after applying: settings %+v jobs %+v", resp.Settings, resp.Jobs)
	}
	if code, r, e := b.update(t, key, platformapi.JobUpdate{UploadID: "up-1", JobID: job.ID, State: platformapi.JobAccepted}); code != http.StatusOK || r.Duplicate {
		t.Fatalf("accept: %d %+v %+v", code, r, e)
	}
	_, resp, _ = b.poll(t, key, platformapi.PollRequest{SettingsVersion: box.Settings.Version})
	if len(resp.Jobs) != 0 {
		t.Fatalf("acknowledged job sent again: %+v", resp.Jobs)
	}
	if err := b.api.Flush(); err != nil {
		t.Fatal(err)
	}
	b.st.View(func(tx store.Tx) error {
		got, _ := tx.Box(box.ID)
		if got.AppliedVer != box.Settings.Version || got.PollIntervalSeconds != 60 {
			t.Errorf("box applied %d interval %d, want %d and 60", got.AppliedVer, got.PollIntervalSeconds, box.Settings.Version)
		}
		if st := fleet.Status(got, b.clock.Now()); st != "online" {
			t.Errorf("status %q", st)
		}
		return nil
	})
}

func TestSignatureRefusals(t *testing.T) {
	b := newBench(t)
	key := newKey(t)
	now := b.clock.Now()
	tampered := request(t, platformapi.PathPoll, key, platformapi.PollRequest{Board: "a"}, now)
	tampered.Body = io.NopCloser(strings.NewReader(`{"board":"b"}`))
	otherKey := request(t, platformapi.PathPoll, key, platformapi.PollRequest{}, now)
	otherKey.Header.Set(platformapi.HeaderKey, platformapi.EncodeKey(newKey(t).Public().(ed25519.PublicKey)))
	unsigned := httptest.NewRequest(http.MethodPost, platformapi.PathPoll, strings.NewReader(`{}`))
	replayed := request(t, platformapi.PathPoll, key, platformapi.PollRequest{}, now)
	replayBody, _ := io.ReadAll(replayed.Body)
	first := replayed.Clone(replayed.Context())
	first.Body = io.NopCloser(bytes.NewReader(replayBody))
	replayed.Body = io.NopCloser(bytes.NewReader(replayBody))
	if code, e := b.do(t, first, nil); code != http.StatusOK {
		t.Fatalf("original of the replay: %d %+v", code, e)
	}
	for _, tc := range []struct {
		name   string
		r      *http.Request
		status int
		code   string
	}{
		{"body changed after signing", tampered, 401, platformapi.ErrBadSignature},
		{"key of another box", otherKey, 401, platformapi.ErrBadSignature},
		{"unsigned", unsigned, 401, platformapi.ErrBadSignature},
		{"replayed", replayed, 401, platformapi.ErrReplay},
		{"signed 10 minutes ago", request(t, platformapi.PathPoll, key, platformapi.PollRequest{}, now.Add(-10*time.Minute)), 401, platformapi.ErrClockSkew},
		{"signed 10 minutes ahead", request(t, platformapi.PathJobUpdate, key, platformapi.JobUpdate{}, now.Add(10*time.Minute)), 401, platformapi.ErrClockSkew},
		{"GET", httptest.NewRequest(http.MethodGet, platformapi.PathPoll, nil), 405, platformapi.ErrBadRequest},
		{"not JSON", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, platformapi.PathPoll, strings.NewReader("nope"))
			platformapi.Sign(r, []byte("nope"), key, now)
			return r
		}(), 400, platformapi.ErrBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, e := b.do(t, tc.r, nil)
			if code != tc.status || e.Code != tc.code {
				t.Errorf("got %d %+v, want %d %s", code, e, tc.status, tc.code)
			}
		})
	}
	if !strings.Contains(b.log.String(), "code=replay") || !strings.Contains(b.log.String(), "code=clock_skew") {
		t.Errorf("refusals not logged with their reason:\n%s", b.log)
	}
}

func TestSecondActivationRefused(t *testing.T) {
	b := newBench(t)
	key := newKey(t)
	box := b.activate(t, key, alice)
	code := platformapi.ActivationCode(key.Public().(ed25519.PublicKey))
	mallory := store.User{Name: "mallory", Role: store.RoleManager, Account: "evil"}
	// Another account hears nothing of the code (issue 12: "already
	// activated" told that it exists); the box's own account hears it.
	_, err := fleet.Activate(b.st, strings.ToLower(code), mallory, "", b.clock.Now(), nil)
	if err == nil || !strings.Contains(err.Error(), "no box is waiting with code") {
		t.Fatalf("second activation by another account: %v, want no box waiting", err)
	}
	_, err = fleet.Activate(b.st, code, alice, "", b.clock.Now(), nil)
	if err == nil || !strings.Contains(err.Error(), "already activated") {
		t.Fatalf("second activation: %v, want already activated", err)
	}
	b.st.View(func(tx store.Tx) error {
		got, _ := tx.Box(box.ID)
		if got.Account != "acme" || got.ActivatedBy != "alice" {
			t.Errorf("box taken over: %+v", got)
		}
		return nil
	})
	// The box keeps its name through another poll.
	_, resp, _ := b.poll(t, key, platformapi.PollRequest{})
	if resp.Name != "pk_alice" {
		t.Errorf("name %q", resp.Name)
	}
	// A second box of alice's gets a unique name.
	if box2 := b.activate(t, newKey(t), alice); box2.Name != "pk_alice_2" {
		t.Errorf("second box named %q, want pk_alice_2", box2.Name)
	}
}

func TestOtherBoxJobRefused(t *testing.T) {
	b := newBench(t)
	keyA, keyB := newKey(t), newKey(t)
	boxA := b.activate(t, keyA, alice)
	b.activate(t, keyB, alice)
	job, err := fleet.LaunchJob(b.st, boxA.ID, alice, "10.0.0.1", "80", "", nil, b.clock.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, resp, _ := b.poll(t, keyB, platformapi.PollRequest{})
	if len(resp.Jobs) != 0 {
		t.Fatalf("box B was sent box A's jobs: %+v", resp.Jobs)
	}
	code, _, e := b.update(t, keyB, platformapi.JobUpdate{UploadID: "u1", JobID: job.ID, State: platformapi.JobDone})
	if code != http.StatusForbidden || e.Code != platformapi.ErrForbidden {
		t.Fatalf("box B updating box A's job: %d %+v, want 403 forbidden", code, e)
	}
	if !strings.Contains(b.log.String(), "is not this box") {
		t.Errorf("refusal not logged:\n%s", b.log)
	}
	b.st.View(func(tx store.Tx) error {
		j, _ := tx.Job(job.ID)
		if j.State != store.JobPending {
			t.Errorf("job changed to %q", j.State)
		}
		return nil
	})
	if code, _, e := b.update(t, keyA, platformapi.JobUpdate{UploadID: "u1", JobID: "job-nonexistent", State: platformapi.JobDone}); code != http.StatusNotFound {
		t.Errorf("unknown job: %d %+v", code, e)
	}
}

func TestIdempotentUpload(t *testing.T) {
	b := newBench(t)
	key := newKey(t)
	box := b.activate(t, key, alice)
	job, _ := fleet.LaunchJob(b.st, box.ID, alice, "10.0.0.1", "80", "", nil, b.clock.Now(), nil)
	u := platformapi.JobUpdate{UploadID: "up-7", JobID: job.ID, State: platformapi.JobDone, Result: json.RawMessage(`{"hosts":1}`)}
	for i, wantDup := range []bool{false, true, true} {
		code, resp, e := b.update(t, key, u)
		if code != http.StatusOK || resp.Duplicate != wantDup {
			t.Fatalf("upload %d: %d %+v %+v, want duplicate=%v", i, code, resp, e, wantDup)
		}
	}
	// Same upload id for another job: a conflict, not a silent duplicate.
	job2, _ := fleet.LaunchJob(b.st, box.ID, alice, "10.0.0.2", "80", "", nil, b.clock.Now(), nil)
	if code, _, _ := b.update(t, key, platformapi.JobUpdate{UploadID: "up-7", JobID: job2.ID, State: platformapi.JobRunning}); code != http.StatusConflict {
		t.Errorf("upload id reused for another job: %d, want 409", code)
	}
	// A finished job takes no new update.
	if code, _, _ := b.update(t, key, platformapi.JobUpdate{UploadID: "up-8", JobID: job.ID, State: platformapi.JobRunning}); code != http.StatusConflict {
		t.Errorf("update after done: %d, want 409", code)
	}
	b.st.View(func(tx store.Tx) error {
		j, _ := tx.Job(job.ID)
		if j.State != platformapi.JobDone || string(j.Result) != `{"hosts":1}` {
			t.Errorf("job %+v", j)
		}
		return nil
	})
	for _, bad := range []platformapi.JobUpdate{{JobID: job.ID, State: "done"}, {UploadID: "x", State: "done"}, {UploadID: "x", JobID: job.ID, State: "exploded"}} {
		if code, _, _ := b.update(t, key, bad); code != http.StatusBadRequest {
			t.Errorf("update %+v: %d, want 400", bad, code)
		}
	}
}

func TestPendingCap(t *testing.T) {
	b := newBench(t)
	b.api.MaxPending = 3
	keys := []ed25519.PrivateKey{newKey(t), newKey(t), newKey(t), newKey(t)}
	for _, k := range keys[:3] {
		if code, _, e := b.poll(t, k, platformapi.PollRequest{}); code != 200 {
			t.Fatalf("poll: %d %+v", code, e)
		}
	}
	if code, _, e := b.poll(t, keys[3], platformapi.PollRequest{}); code != http.StatusTooManyRequests || e.Code != platformapi.ErrRateLimited {
		t.Fatalf("fourth pending box: %d %+v, want 429 rate_limited", code, e)
	}
	if code, _, _ := b.poll(t, keys[0], platformapi.PollRequest{}); code != 200 {
		t.Errorf("known pending box refused at the cap: %d", code)
	}
	// Right after that refusal pruned, more new keys (from other
	// addresses, past the per-address window) are refused too: the cap
	// held only on the requests that pruned, and every other request in
	// the minute after stored its box (4,519 with a cap of 1,000).
	for i := range 10 {
		r := request(t, platformapi.PathPoll, newKey(t), platformapi.PollRequest{}, b.clock.Now())
		r.RemoteAddr = fmt.Sprintf("198.51.100.%d:40000", i+1)
		if code, e := b.do(t, r, nil); code != http.StatusTooManyRequests || e.Code != platformapi.ErrRateLimited || e.RetryAfterSeconds < 1 {
			t.Fatalf("new box %d after a prune: %d %+v, want 429 rate_limited with a retry time", i, code, e)
		}
	}
	b.st.View(func(tx store.Tx) error {
		if n, _ := tx.PendingCount(); n != 3 {
			t.Errorf("%d pending boxes with a cap of 3", n)
		}
		return nil
	})
	// Pending boxes gone quiet for a day make room.
	b.clock.Advance(25 * time.Hour)
	if code, _, e := b.poll(t, keys[3], platformapi.PollRequest{}); code != 200 {
		t.Fatalf("after the others went quiet: %d %+v", code, e)
	}
	b.st.View(func(tx store.Tx) error {
		if n, _ := tx.PendingCount(); n != 1 {
			t.Errorf("%d pending boxes, want 1", n)
		}
		return nil
	})
}

func TestNewBoxRateLimit(t *testing.T) {
	b := newBench(t)
	b.api.NewPerAddr = 2
	for i := range 3 {
		code, _, e := b.poll(t, newKey(t), platformapi.PollRequest{})
		if want := map[bool]int{true: 200, false: 429}[i < 2]; code != want {
			t.Fatalf("new box %d: %d %+v, want %d", i, code, e, want)
		}
	}
	b.clock.Advance(time.Minute)
	if code, _, e := b.poll(t, newKey(t), platformapi.PollRequest{}); code != 200 {
		t.Fatalf("after the window: %d %+v", code, e)
	}
}

// Heartbeats are written behind: visible through Fresh at once, in the
// store after Flush (or Close), never older over newer.
func TestHeartbeatWriteBehind(t *testing.T) {
	b := newBench(t)
	b.api.FlushEvery = time.Hour // only explicit flushes here
	key := newKey(t)
	box := b.activate(t, key, alice)
	b.api.Flush()
	b.clock.Advance(time.Minute)
	b.poll(t, key, platformapi.PollRequest{Board: "rpi4", Versions: platformapi.Versions{Scanner: "2.0"}, SettingsVersion: 1})
	var stored store.Box
	b.st.View(func(tx store.Tx) error { stored, _ = tx.Box(box.ID); return nil })
	if stored.Versions.Scanner == "2.0" {
		t.Fatal("heartbeat written at once; expected write-behind")
	}
	fresh := stored
	b.api.Fresh(&fresh)
	if fresh.Versions.Scanner != "2.0" || !fresh.LastPoll.Equal(b.clock.Now()) || fresh.AppliedVer != 1 {
		t.Errorf("Fresh: %+v", fresh)
	}
	// A page that read the box before a flush committed and asks Fresh
	// after it still shows the poll (CI: the appliances list missed a
	// box's failing polls).
	b.clock.Advance(time.Minute)
	b.poll(t, key, platformapi.PollRequest{Board: "rpi4", Versions: platformapi.Versions{Scanner: "2.0"}, SettingsVersion: 1,
		PollFailures: 3, PollError: "answer too large"})
	var before store.Box
	b.st.View(func(tx store.Tx) error { before, _ = tx.Box(box.ID); return nil })
	if err := b.api.Flush(); err != nil {
		t.Fatal(err)
	}
	b.api.Fresh(&before)
	if before.PollFailures != 3 || !before.LastPoll.Equal(b.clock.Now()) {
		t.Errorf("read before a flush, Fresh after it: %d poll failures, last poll %v; want 3 at %v", before.PollFailures, before.LastPoll, b.clock.Now())
	}
	b.st.View(func(tx store.Tx) error { stored, _ = tx.Box(box.ID); return nil })
	// A manager edits meanwhile: the flush keeps the edit.
	edit := fleet.EditOf(stored)
	edit.Name = "renamed"
	if _, err := fleet.SaveSettings(b.st, box.ID, alice, edit, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.api.Close(); err != nil {
		t.Fatal(err)
	}
	b.st.View(func(tx store.Tx) error { stored, _ = tx.Box(box.ID); return nil })
	if stored.Versions.Scanner != "2.0" || stored.Board != "rpi4" || stored.Name != "renamed" || stored.Settings.Version != 2 || stored.AppliedVer != 1 {
		t.Errorf("after Close: %+v", stored)
	}
}

// rawPoll polls and returns the status and the raw answer.
func (b *bench) rawPoll(t *testing.T, key ed25519.PrivateKey, req platformapi.PollRequest) (int, []byte) {
	t.Helper()
	w := httptest.NewRecorder()
	b.h.ServeHTTP(w, request(t, platformapi.PathPoll, key, req, b.clock.Now()))
	return w.Code, w.Body.Bytes()
}

// TestPollAtEveryLimit: a box whose settings are all at the web form's
// limits, with the most jobs waiting, each at its limits, gets a poll
// answer within what it reads, with everything in it.
func TestPollAtEveryLimit(t *testing.T) {
	b := newBench(t)
	key := newKey(t)
	box := b.activate(t, key, alice)
	f := webui.LimitSettings()
	box, err := fleet.SaveSettings(b.st, box.ID, alice, fleet.Edit{Name: f.Get("name"), PollInterval: f.Get("poll_interval"),
		VLANs: f.Get("vlans"), Routes: f.Get("routes"), IPv6Method: f.Get("ipv6_method"), IPv6Address: f.Get("ipv6_address"), IPv6Gateway: f.Get("ipv6_gateway")}, nil)

	if err != nil {
		t.Fatalf("settings at the limits: %v", err)
	}
	j := webui.LimitJob()
	for i := 0; i < platformapi.MaxPendingJobs; i++ {
		if _, err := fleet.LaunchJob(b.st, box.ID, alice, j.Get("targets"), j.Get("ports"), "", nil, b.clock.Now(), nil); err != nil {
			t.Fatalf("job %d at the limits: %v", i+1, err)
		}
	}
	code, body := b.rawPoll(t, key, platformapi.PollRequest{})
	if code != http.StatusOK {
		t.Fatalf("poll: %d %s", code, body)
	}
	t.Logf("poll answer at every limit: %d bytes; the box reads %d", len(body), platformapi.MaxBody)
	if len(body) > platformapi.MaxPollResponse || len(body) > platformapi.MaxBody {
		t.Fatalf("answer of %d bytes; the bound is %d, the box reads %d", len(body), platformapi.MaxPollResponse, platformapi.MaxBody)
	}
	var resp platformapi.PollResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Settings == nil || len(resp.Settings.ScanVLANs) != 4094 || len(resp.Settings.Routes) != 99 || len(resp.Jobs) != platformapi.MaxPendingJobs || resp.Name != f.Get("name") {
		t.Fatalf("answer cut: settings %v, %d jobs, name %q", resp.Settings != nil, len(resp.Jobs), resp.Name)
	}
}

// TestOversizedRecordsCut: records beyond the limits (written before
// them, as in issue 12: a 180,000-character VLAN name, jobs with 300 kB
// port lists) never make an answer the box cannot read: jobs beyond the
// limits are held back, and settings too large are left out, logged.
func TestOversizedRecordsCut(t *testing.T) {
	b := newBench(t)
	key := newKey(t)
	box := b.activate(t, key, alice)
	err := b.st.Update(func(tx store.Tx) error {
		bx, err := tx.Box(box.ID)
		if err != nil {
			return err
		}
		bx.Settings.Version++
		bx.Settings.ScanVLANs = []netcfg.ScanVLAN{{ID: 100, Name: strings.Repeat("v", 180000), Address: netip.MustParsePrefix("10.1.0.5/24")}}
		for i := 0; i < 4; i++ {
			bx.Settings.Routes = append(bx.Settings.Routes, netcfg.Route{Name: strings.Repeat("<", 100000)})
		}
		if err := tx.PutBox(bx); err != nil {
			return err
		}
		for i := 0; i < 4; i++ {
			if err := tx.PutJob(store.Job{ID: fmt.Sprintf("job-big-%d", i), BoxID: box.ID, Targets: []string{"10.0.0.1"},
				Ports: strings.Repeat("80,", 100000), State: store.JobPending, Created: b.clock.Now()}); err != nil {
				return err
			}
		}
		return tx.PutJob(store.Job{ID: "job-ok", BoxID: box.ID, Targets: []string{"10.0.0.1"}, Ports: "80", State: store.JobPending, Created: b.clock.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	code, body := b.rawPoll(t, key, platformapi.PollRequest{})
	if code != http.StatusOK || len(body) > platformapi.MaxBody {
		t.Fatalf("poll: HTTP %d, %d bytes; want 200 within %d", code, len(body), platformapi.MaxBody)
	}
	var resp platformapi.PollResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Jobs) != 1 || resp.Jobs[0].ID != "job-ok" || resp.Settings != nil || resp.Name != "pk_alice" {
		t.Fatalf("answer: %d jobs, settings %v; want job-ok alone and no settings", len(resp.Jobs), resp.Settings != nil)
	}
	if !strings.Contains(b.log.String(), "job beyond the limits not sent") || !strings.Contains(b.log.String(), "poll answer over the box's limit") {
		t.Errorf("cuts not logged:\n%s", b.log)
	}
}

// TestPollFailuresShown: a box that reports failed polls shows as
// failing, with its error cut at a character boundary.
func TestPollFailuresShown(t *testing.T) {
	b := newBench(t)
	key := newKey(t)
	box := b.activate(t, key, alice)
	long := strings.Repeat("é", 150) // 300 bytes: cut within a character at 200
	if code, _, e := b.poll(t, key, platformapi.PollRequest{PollFailures: 4, PollError: long}); code != http.StatusOK {
		t.Fatalf("poll: %d %+v", code, e)
	}
	if err := b.api.Flush(); err != nil {
		t.Fatal(err)
	}
	b.st.View(func(tx store.Tx) error {
		got, _ := tx.Box(box.ID)
		if st := fleet.Status(got, b.clock.Now()); st != fleet.StatusFailing || got.PollFailures != 4 {
			t.Errorf("status %q with %d failures, want %q", st, got.PollFailures, fleet.StatusFailing)
		}
		if !utf8.ValidString(got.PollError) || len(got.PollError) != 200 {
			t.Errorf("poll error stored as %d bytes, valid UTF-8 %v", len(got.PollError), utf8.ValidString(got.PollError))
		}
		return nil
	})
	b.poll(t, key, platformapi.PollRequest{})
	b.api.Flush()
	b.st.View(func(tx store.Tx) error {
		got, _ := tx.Box(box.ID)
		if st := fleet.Status(got, b.clock.Now()); st != "online" || got.PollError != "" {
			t.Errorf("after a good poll: status %q, error %q", st, got.PollError)
		}
		return nil
	})
}

// TestCanceledAndDeletedJobs: the box hears "canceled" for a job a
// person canceled (200, not recorded) and "no job" for one deleted.
func TestCanceledAndDeletedJobs(t *testing.T) {
	b := newBench(t)
	key := newKey(t)
	box := b.activate(t, key, alice)
	j1, _ := fleet.LaunchJob(b.st, box.ID, alice, "10.0.0.1", "80", "", nil, b.clock.Now(), nil)
	j2, _ := fleet.LaunchJob(b.st, box.ID, alice, "10.0.0.2", "80", "", nil, b.clock.Now(), nil)
	if _, resp, _ := b.poll(t, key, platformapi.PollRequest{}); len(resp.Jobs) != 2 {
		t.Fatalf("%d jobs sent, want 2", len(resp.Jobs))
	}
	if _, err := fleet.CancelJob(b.st, box.ID, j1.ID, alice, b.clock.Now(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := fleet.DeleteJob(b.st, box.ID, j2.ID, alice, nil); err != nil {
		t.Fatal(err)
	}
	if _, resp, _ := b.poll(t, key, platformapi.PollRequest{}); len(resp.Jobs) != 0 {
		t.Fatalf("canceled or deleted jobs sent: %+v", resp.Jobs)
	}
	code, r, e := b.update(t, key, platformapi.JobUpdate{UploadID: "u1", JobID: j1.ID, State: platformapi.JobRunning})
	if code != http.StatusOK || !r.Canceled {
		t.Fatalf("update of a canceled job: %d %+v %+v; want 200 canceled", code, r, e)
	}
	b.st.View(func(tx store.Tx) error {
		got, _ := tx.Job(j1.ID)
		if got.State != platformapi.JobCanceled || got.CanceledBy != "alice" {
			t.Errorf("canceled job now %+v", got)
		}
		return nil
	})
	if code, _, _ := b.update(t, key, platformapi.JobUpdate{UploadID: "u2", JobID: j2.ID, State: platformapi.JobRunning}); code != http.StatusNotFound {
		t.Fatalf("update of a deleted job: %d, want 404", code)
	}
	// Long fields are refused before they are echoed.
	code, _, e = b.update(t, key, platformapi.JobUpdate{UploadID: "u3", JobID: strings.Repeat("x", 500000), State: "x"})
	if code != http.StatusBadRequest || len(e.Message) > 300 {
		t.Fatalf("500 kB job id: %d, message of %d bytes", code, len(e.Message))
	}
}

// TestPollRateLimit: one box key sending fresh-nonce polls as fast as it
// can gets its bucket's burst, then 429s with Retry-After, and the nonces
// the platform holds for it stay within what the bucket let through; as
// time passes it gets one request per Every. Every replay of a served
// request is still refused. Before, every such poll was served and its
// nonce kept for ten minutes (5,074 polls/s, +50 MB in 30 s).
func TestPollRateLimit(t *testing.T) {
	b := newBench(t)
	key := newKey(t)
	var served []*http.Request
	status := map[int]int{}
	for range 500 {
		r := request(t, platformapi.PathPoll, key, platformapi.PollRequest{}, b.clock.Now())
		keep := r.Clone(r.Context())
		body, _ := io.ReadAll(r.Body)
		r.Body, keep.Body = io.NopCloser(bytes.NewReader(body)), io.NopCloser(bytes.NewReader(body))
		w := httptest.NewRecorder()
		b.h.ServeHTTP(w, r)
		status[w.Code]++
		switch w.Code {
		case http.StatusOK:
			served = append(served, keep)
		case http.StatusTooManyRequests:
			if ra, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || ra < 1 || ra > 3 {
				t.Fatalf("429 with Retry-After %q, want 1-3 s (one token)", w.Header().Get("Retry-After"))
			}
		default:
			t.Fatalf("poll: %d %s", w.Code, w.Body)
		}
	}
	if status[200] != boxapi.DefaultBurst || status[429] != 500-boxapi.DefaultBurst {
		t.Fatalf("500 polls at once: %v, want %d served and the rest 429", status, boxapi.DefaultBurst)
	}
	if n := nonces(t, b.st); n != boxapi.DefaultBurst {
		t.Fatalf("nonce cache holds %d, want the %d served", n, boxapi.DefaultBurst)
	}
	// A minute later: 60 s / 3 s = 20 more tokens, and no more.
	b.clock.Advance(time.Minute)
	ok := 0
	for range 100 {
		if code, _, _ := b.poll(t, key, platformapi.PollRequest{}); code == 200 {
			ok++
		}
	}
	if ok != 20 {
		t.Errorf("a minute later: %d polls served, want 20", ok)
	}
	// Another box is not slowed by this one.
	if code, _, e := b.poll(t, newKey(t), platformapi.PollRequest{}); code != 200 {
		t.Errorf("another box: %d %+v", code, e)
	}
	// Replays of served requests are refused as replays once the bucket
	// has refilled.
	b.clock.Advance(2 * time.Minute)
	for i, r := range served[:5] {
		if code, e := b.do(t, r, nil); code != http.StatusUnauthorized || e.Code != platformapi.ErrReplay {
			t.Fatalf("replay %d: %d %+v, want 401 replay", i, code, e)
		}
	}
	if n := nonces(t, b.st); n > 2*boxapi.DefaultBurst+1+5 {
		t.Errorf("nonce cache holds %d", n)
	}
}

// nonces is how many nonces st's guard holds.
func nonces(t *testing.T, st store.Store) int {
	t.Helper()
	n, err := st.GuardSize()
	if err != nil {
		t.Fatal(err)
	}
	return n.Nonces
}

// TestRollbackStored: the network rollback a box reports is stored with
// its reason cut to platformapi.MaxRollbackReason, and kept by a later
// poll that reports none.
func TestRollbackStored(t *testing.T) {
	b := newBench(t)
	key := newKey(t)
	box := b.activate(t, key, alice)
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	long := "platform settings (platform.routes[0]): " + strings.Repeat("GATEWAY UNREACHABLE ", 40)
	rb := &platformapi.NetworkRollback{At: at, Source: platformapi.RollbackPlatform, SettingsVersion: 3, Reason: long}
	if code, _, e := b.poll(t, key, platformapi.PollRequest{SettingsVersion: 2, Rollback: rb}); code != http.StatusOK {
		t.Fatalf("poll: %d %+v", code, e)
	}
	b.poll(t, key, platformapi.PollRequest{SettingsVersion: 2})
	if err := b.api.Flush(); err != nil {
		t.Fatal(err)
	}
	b.st.View(func(tx store.Tx) error {
		got, _ := tx.Box(box.ID)
		r := got.Rollback
		if r == nil || r.Source != platformapi.RollbackPlatform || r.SettingsVersion != 3 || !r.At.Equal(at) {
			t.Fatalf("stored rollback %+v", r)
		}
		if len(r.Reason) != platformapi.MaxRollbackReason || !strings.HasPrefix(r.Reason, "platform settings (platform.routes[0]): GATEWAY") {
			t.Errorf("stored reason of %d bytes: %q", len(r.Reason), r.Reason)
		}
		return nil
	})
}
