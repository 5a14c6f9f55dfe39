package platformlink

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/update/updateapi"
)

type fakeUpdater struct {
	mu   sync.Mutex
	got  []updateapi.Link
	st   updateapi.State
	fail bool
}

func (f *fakeUpdater) Handover(_ context.Context, l updateapi.Link) (updateapi.State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, l)
	if f.fail {
		return updateapi.State{}, errors.New("updater down for the test")
	}
	return f.st, nil
}

// TestHandoverAfterEachPoll: every successful poll hands the updater the
// path it went out by, the platform's time and the notices; the state the
// updater answers is in the next heartbeat; an updater that fails is
// logged and the link goes on.
func TestHandoverAfterEachPoll(t *testing.T) {
	r := newRig(t)
	upd := &fakeUpdater{st: updateapi.State{Phase: updateapi.PhaseDownloading, Pending: "2.0", Percent: 10}}
	r.upd = upd
	pt := time.Date(2027, 5, 1, 10, 0, 0, 0, time.UTC)
	notice := platformapi.UpdateNotice{Kind: platformapi.UpdateSoftware, Version: "2.0", Target: "software/virtual/2.0/rootfs.img"}
	r.plat.set(func(p *fakePlatform) {
		p.active, p.name, p.time = true, "lab-box", pt
		p.updates = []platformapi.UpdateNotice{notice}
	})
	ctx := context.Background()
	l := r.link(t)
	l.cycle(ctx)
	if req, _, _ := r.plat.lastPoll(); req.Versions.Update != "" {
		t.Errorf("first heartbeat's update state %q, want none before a hand-over answered", req.Versions.Update)
	}
	if len(upd.got) != 1 {
		t.Fatalf("%d hand-overs after one poll", len(upd.got))
	}
	h := upd.got[0]
	if h.Platform != r.url || !h.PlatformTime.Equal(pt) || !h.PolledAt.Equal(r.clock.Now()) || len(h.Updates) != 1 || h.Updates[0] != notice {
		t.Fatalf("hand-over %+v", h)
	}
	l.cycle(ctx)
	if req, _, _ := r.plat.lastPoll(); req.Versions.Update != "downloading 2.0 10%" {
		t.Errorf("heartbeat's update state %q", req.Versions.Update)
	}
	upd.fail = true
	l.cycle(ctx)
	if len(upd.got) != 3 || !strings.Contains(r.log.String(), "hand-over to the updater") {
		t.Fatalf("%d hand-overs; log:\n%s", len(upd.got), r.log.String())
	}
	// The platform down: no hand-over (nothing reached the platform).
	r.plat.set(func(p *fakePlatform) { p.down = true })
	l.cycle(ctx)
	if len(upd.got) != 3 {
		t.Fatalf("a failed poll was handed over")
	}
}
