package console

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/net/netapi"
	"picket.dev/picket/src/panel/serial"
	"picket.dev/picket/src/scan/scanapi"
	"picket.dev/picket/src/testkit/scanserve"
)

// runningJob is what the scanner serves on scanner.sock: a job in its
// services phase, 107 of its 254 targets finished, 31 hosts up.
type runningJob struct {
	mu      sync.Mutex
	running bool
}

func (j *runningJob) State() scanapi.State {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.running {
		return scanapi.State{MaxJobs: 1}
	}
	return scanapi.State{Running: true, JobID: "job-7", MaxJobs: 1, Progress: &platformapi.JobProgress{
		Phase: "services", TargetsTotal: 254, TargetsDone: 107, HostsUp: 31, OpenPorts: 90}}
}

func (j *runningJob) stop() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.running = false
}

func (j *runningJob) CancelScan(context.Context, string) (bool, error) { return false, nil }

// TestScanOnTheConsole: consoled, given the scanner's socket (-scanner)
// where the real scanapi server reports a running job, shows the scan
// screen on an activated box (SCANNING 42%: 107 of 254 targets finished)
// with LED S1 on, RIGHT shows the box's name, and when the job ends LED
// S1 goes off.
func TestScanOnTheConsole(t *testing.T) {
	netmgrd, consoled := daemons(t)
	dir := t.TempDir()
	socket := filepath.Join(dir, "netmgr.sock")
	start(t, netmgrd, "-backend", "memory", "-socket", socket, "-data", filepath.Join(dir, "data"), "-resolv", "")
	mgr := netapi.Dial(socket)
	defer mgr.Close()
	ctx := context.Background()
	guard := time.Now().Add(60 * time.Second) // a hang guard
	for {
		err := mgr.ReportPlatform(ctx, netapi.PlatformLink{State: netapi.LinkReady, Name: "pk_alice"})
		if err == nil {
			break
		}
		if time.Now().After(guard) {
			t.Fatalf("netmgrd does not take the platform link's report: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	job := &runningJob{running: true}
	scanSock, _ := scanserve.Serve(t, job, nil)

	master, slave, err := serial.OpenPTY("/dev")
	if err != nil {
		t.Fatalf("open a pty: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	term := &terminal{master: master, more: make(chan struct{}, 1)}
	go term.read()
	start(t, consoled, "-device", slave, "-netmgr", socket, "-scanner", scanSock, "-updater", "")

	at := term.waitFor(t, 0, "Press ENTER to start")
	term.send(t, "ENTER")
	at = term.waitFor(t, at, "MAC address") // with the idle screen
	at = term.waitFor(t, at, "SCANNING 42%")
	at = term.waitFor(t, at, "SERVICES 107/254")
	at = term.waitFor(t, at, "LED S1 (scan running): ON")
	term.send(t, "RIGHT")
	at = term.waitFor(t, at, "pk_alice-")
	job.stop()
	term.waitFor(t, at, "LED S1 (scan running): off")
}
