package scanner

import (
	"sync"
	"sync/atomic"

	"picket.dev/picket/src/link/platformapi"
)

// Progress is where a running scan is, written by Scan and read by
// whoever reports it (the job runner's heartbeats). The zero value is
// ready.
type Progress struct {
	mu sync.Mutex
	p  ProgressSnapshot
}

// ProgressSnapshot is a copy of a Progress at one moment.
type ProgressSnapshot struct {
	Phase        string
	TargetsTotal uint64
	// TargetsDone counts the hosts finished (service detection over); a
	// scan that ends counts its targets done.
	TargetsDone uint64
	HostsUp     int
	OpenPorts   int
	Sent        uint64
	sent        *atomic.Uint64 // the engine's counter while it runs
}

// Snapshot returns the progress now.
func (p *Progress) Snapshot() ProgressSnapshot {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.p
	if s.sent != nil {
		s.Sent = s.sent.Load()
	}
	if s.Phase == platformapi.PhaseDone {
		s.TargetsDone = s.TargetsTotal
	}
	s.sent = nil
	return s
}

func (p *Progress) set(f func(*ProgressSnapshot)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(&p.p)
}
