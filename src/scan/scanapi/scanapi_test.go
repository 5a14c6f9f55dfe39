package scanapi_test

import (
	"context"
	"path/filepath"
	"testing"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/scan/scanapi"
)

type fakeScanner struct {
	running bool
	reason  string
}

func (f *fakeScanner) State() scanapi.State {
	if !f.running {
		return scanapi.State{MaxJobs: 1}
	}
	return scanapi.State{Running: true, JobID: "j", MaxJobs: 1, Progress: &platformapi.JobProgress{Phase: "portscan", TargetsTotal: 9}}
}

func (f *fakeScanner) CancelScan(_ context.Context, reason string) (bool, error) {
	was := f.running
	f.running, f.reason = false, reason
	return was, nil
}

func TestStateAndCancelOverTheSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scanner.sock")
	c := scanapi.Dial(path)
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// No scanner: nothing to cancel, and no error (netapi.ScanCanceler).
	if ok, err := c.CancelScan(ctx, "x"); ok || err != nil {
		t.Fatalf("CancelScan with no scanner = %v, %v; want false, nil", ok, err)
	}
	ln, err := scanapi.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeScanner{running: true}
	done := make(chan error, 1)
	go func() { done <- scanapi.NewServer(f, nil, scanapi.Access{}).Serve(ctx, ln) }()
	st, err := c.State(ctx)
	if err != nil || !st.Running || st.JobID != "j" || st.Progress == nil || st.Progress.TargetsTotal != 9 {
		t.Fatalf("State = %+v, %v", st, err)
	}
	if ok, err := c.CancelScan(ctx, "apply network settings"); !ok || err != nil || f.reason != "apply network settings" {
		t.Fatalf("CancelScan = %v, %v (reason %q)", ok, err, f.reason)
	}
	if st, err := c.State(ctx); err != nil || st.Running {
		t.Fatalf("State after cancel = %+v, %v", st, err)
	}
	if _, err := scanapi.Listen(path); err == nil {
		t.Error("a second server took a socket another answers on")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
