package scanner

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/base/atomicfile"
	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/scan/result"
	"picket.dev/picket/src/scan/sigdb"
	"picket.dev/picket/src/scan/sigpkg"
)

// sigStore is a real signature store, as scannerd makes it, and a maker
// of packages of the test database (checksDB) at a version.
func sigStore(t *testing.T) (*sigpkg.Store[*sigdb.DB], func(version string) []byte) {
	t.Helper()
	seed := sha256.Sum256([]byte("scanner test release key"))
	key := ed25519.NewKeyFromSeed(seed[:])
	s, err := sigpkg.New(sigpkg.Config[*sigdb.DB]{
		Trusted: []ed25519.PublicKey{key.Public().(ed25519.PublicKey)},
		Compile: sigdb.Compile, VersionOf: (*sigdb.DB).Version,
		Data: atomicfile.Dir(t.TempDir()), Dir: "signatures",
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, func(v string) []byte {
		src := strings.Replace(checksDB, "version: 3.1.7-2", "version: "+v, 1)
		b, err := sigpkg.Pack(v, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), []byte(src), key)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

// TestSwapDuringScan: a database installed while a job runs is in force
// at once (State, the heartbeat), yet the running job sees the one it
// started with from its first host to its summary; the next job runs on
// the new one.
func TestSwapDuringScan(t *testing.T) {
	store, pkg := sigStore(t)
	link := &fakeLink{}
	started, resume := make(chan struct{}), make(chan struct{})
	var seen []string
	r, err := NewRunner(RunnerConfig{
		Uploader: link, ProgressEvery: time.Hour, Signatures: store,
		Env:      func(context.Context, int) (Env, error) { return Env{Iface: "eth0"}, nil },
		Services: func(Env, []result.CheckClass) (ServiceDetector, error) { return nil, nil },
		Scan: func(ctx context.Context, cfg Config) ([]result.Host, Summary, error) {
			compiled := func() string {
				if cfg.Checks == nil {
					return "none"
				}
				return cfg.Checks.Version()
			}
			seen = append(seen, "start "+compiled())
			started <- struct{}{}
			<-resume
			seen = append(seen, "end "+compiled())
			return []result.Host{host("10.0.0.1", 22)}, Summary{Targets: 1, Up: 1, Open: 1}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.InstallSignatures(pkg("2.2.245-2")); err != nil {
		t.Fatal(err)
	}
	job := func(id string) platformapi.Job {
		return platformapi.Job{ID: id, Targets: []string{"10.0.0.1"}, Ports: "22"}
	}
	if !r.Offer(job("j1")) {
		t.Fatal("idle runner refused a job")
	}
	<-started
	sig, err := r.InstallSignatures(pkg("2.2.246-1"))
	if err != nil || sig.Version != "2.2.246-1" {
		t.Fatalf("install during the scan: %+v, %v", sig, err)
	}
	if st := r.State(); !st.Running || st.Signatures == nil || st.Signatures.Version != "2.2.246-1" {
		t.Fatalf("State during the scan: %+v", st)
	}
	close(resume)
	waitIdle(t, r)
	resume = make(chan struct{})
	if !r.Offer(job("j2")) {
		t.Fatal("idle runner refused the second job")
	}
	<-started
	close(resume)
	waitIdle(t, r)

	want := []string{"start 2.2.245-2", "end 2.2.245-2", "start 2.2.246-1", "end 2.2.246-1"}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("the scans saw %q, want %q", seen, want)
	}
	summaries := map[string]string{}
	for _, u := range link.all() {
		if u.State == platformapi.JobDone {
			summaries[u.JobID] = u.Summary.Signatures
		}
	}
	if summaries["j1"] != "2.2.245-2" || summaries["j2"] != "2.2.246-1" {
		t.Errorf("summaries' signatures versions %v; want j1 2.2.245-2, j2 2.2.246-1", summaries)
	}
}

func TestRunnerWithoutSignatures(t *testing.T) {
	r := newRunner(t, &fakeLink{}, nil)
	if st := r.State(); st.Signatures != nil {
		t.Errorf("State without a store: %+v", st.Signatures)
	}
	if _, err := r.InstallSignatures([]byte("x")); err == nil {
		t.Error("install without a store succeeded")
	}
}
