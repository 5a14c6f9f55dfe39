package platformlink

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/base/atomicfile"
	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/scan/sigpkg"
)

// TestHeartbeatSignatures: every poll reports the signature version in
// force at that moment (a real signature store, installed into between
// polls), and the platform's age limit reaches the store, also after a
// restart of the link.
func TestHeartbeatSignatures(t *testing.T) {
	seed := sha256.Sum256([]byte("platformlink test release key"))
	key := ed25519.NewKeyFromSeed(seed[:])
	store, err := sigpkg.New(sigpkg.Config[string]{
		Trusted: []ed25519.PublicKey{key.Public().(ed25519.PublicKey)},
		Compile: func(src []byte) (string, error) {
			if !strings.HasPrefix(string(src), "picket-signatures ") {
				return "", errors.New("not a signature database")
			}
			return string(src), nil
		},
		Data: atomicfile.Dir(t.TempDir()), Dir: "signatures",
	})
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t)
	r.sigs = store
	r.plat.set(func(p *fakePlatform) { p.active, p.name, p.interval = true, "lab-box", 60 })
	l := r.link(t)
	ctx := context.Background()
	l.cycle(ctx)
	if req, _, _ := r.plat.lastPoll(); req.Versions.Signatures != SignaturesNone {
		t.Fatalf("no database in force: heartbeat says %q, want %q", req.Versions.Signatures, SignaturesNone)
	}
	b, err := sigpkg.Pack("2.2.245-2", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), []byte("picket-signatures 2.2.245-2"), key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Install(b); err != nil {
		t.Fatal(err)
	}
	l.cycle(ctx)
	if req, _, _ := r.plat.lastPoll(); req.Versions.Signatures != "2.2.245-2" {
		t.Fatalf("heartbeat says signatures %q, want 2.2.245-2", req.Versions.Signatures)
	}
	if store.MaxAgeDays() != platformapi.DefaultSignaturesMaxAgeDays {
		t.Fatalf("max age %d before the platform set one", store.MaxAgeDays())
	}
	r.plat.set(func(p *fakePlatform) {
		p.settings = &platformapi.Settings{Version: 2, Name: "lab-box", PollIntervalSeconds: 60, SignaturesMaxAgeDays: 3,
			ScanVLANs: []netcfg.ScanVLAN{{ID: 42, Address: netip.MustParsePrefix("10.9.0.2/24")}}}
	})
	l.cycle(ctx)
	if store.MaxAgeDays() != 3 {
		t.Fatalf("max age %d after the platform set 3", store.MaxAgeDays())
	}
	// A restart: the limit comes back from the link's state.
	store.SetMaxAgeDays(0)
	r.link(t)
	if store.MaxAgeDays() != 3 {
		t.Fatalf("max age %d after a restart, want the platform's 3", store.MaxAgeDays())
	}
}
