package boxapi_test

import (
	"crypto/ed25519"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/releases"
	"picket.dev/picket/src/platform/rollout"
	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/testkit/tufrepo"
)

// TestPollUpdateNotices: an active box hears of the releases rolled out
// to it (as the platform wires Updates: rollouts of its account against
// the repository), judged on what it reports in this very poll: a box
// that reports the release installed is told nothing more, a pending box
// nothing at all; the platform's time comes with every answer; the
// updater's state is stored.
func TestPollUpdateNotices(t *testing.T) {
	b := newBench(t)
	dir := t.TempDir()
	if err := tufrepo.New(dir).Publish(tufrepo.Software("virtual", "1.2.0", []byte("img")), tufrepo.Signatures("2026.12.01", []byte("s"))); err != nil {
		t.Fatal(err)
	}
	repo := releases.New(dir, b.clock.Now, slog.New(slog.NewTextHandler(b.log, nil)))
	b.api.Updates = func(bx store.Box) []platformapi.UpdateNotice {
		cat, err := repo.Catalog()
		if err != nil {
			t.Errorf("catalog: %v", err)
		}
		var rs []store.Rollout
		b.st.View(func(tx store.Tx) error { rs, err = tx.Rollouts(bx.Account); return err })
		return rollout.Notices(rs, cat, bx)
	}
	pending := newKey(t)
	key := newKey(t)
	b.activate(t, key, alice)
	err := b.st.Update(func(tx store.Tx) error {
		for _, r := range []store.Rollout{
			{Account: "acme", Channel: "software/virtual", Version: "1.2.0", Target: "software/virtual/1.2.0/rootfs.img", Everyone: true},
			{Account: "acme", Channel: "signatures", Version: "2026.12.01", Target: "signatures/2026.12.01/signatures.pkg", Everyone: true, Force: true},
		} {
			if err := tx.PutRollout(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	old := platformapi.PollRequest{Board: "virtual", Versions: platformapi.Versions{Scanner: "1.1.0", Signatures: "none", Update: "idle"}}
	code, resp, e := b.poll(t, key, old)
	want := []platformapi.UpdateNotice{
		{Kind: "software", Version: "1.2.0", Target: "software/virtual/1.2.0/rootfs.img"},
		{Kind: "signatures", Version: "2026.12.01", Target: "signatures/2026.12.01/signatures.pkg", Force: true},
	}
	if code != http.StatusOK || len(resp.Updates) != 2 || resp.Updates[0] != want[0] || resp.Updates[1] != want[1] {
		t.Fatalf("poll of a box on 1.1.0: %d %+v %+v; want %+v", code, resp.Updates, e, want)
	}
	if !resp.Time.Equal(b.clock.Now()) {
		t.Errorf("answer time %s, want the platform's %s", resp.Time, b.clock.Now())
	}
	b.clock.Advance(time.Minute)
	code, resp, _ = b.poll(t, key, platformapi.PollRequest{Board: "virtual", Versions: platformapi.Versions{Scanner: "1.2.0", Signatures: "2026.12.01", Update: "installed 1.2.0"}})
	if code != http.StatusOK || len(resp.Updates) != 0 {
		t.Errorf("poll of a box that reports the releases installed: %d %+v", code, resp.Updates)
	}
	if code, resp, _ := b.poll(t, pending, old); code != http.StatusOK || len(resp.Updates) != 0 || resp.State != platformapi.StateUnactivated {
		t.Errorf("pending box: %d %+v", code, resp)
	}
	if err := b.api.Flush(); err != nil {
		t.Fatal(err)
	}
	b.st.View(func(tx store.Tx) error {
		bx, _ := tx.BoxByKey(platformapi.EncodeKey(key.Public().(ed25519.PublicKey)))
		if bx.Versions.Update != "installed 1.2.0" {
			t.Errorf("stored updater state %q", bx.Versions.Update)
		}
		return nil
	})
}
