package pid1

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"picket.dev/picket/src/system/initapi"
	"picket.dev/picket/src/system/manifest"
	"picket.dev/picket/src/system/slots"
)

func signedManifest(t *testing.T, key ed25519.PrivateKey, board, version string) []byte {
	t.Helper()
	sm, err := manifest.Sign(manifest.Manifest{Format: manifest.FormatVersion, Board: board, Version: version, Size: 4096, SHA256: strings.Repeat("ab", 32)}, key)
	if err != nil {
		t.Fatal(err)
	}
	b, err := sm.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestControlOverInitSock: the updater's calls on init.sock, against an
// ESP directory: the booted slot is never written or tried, a manifest
// that does not verify with the release key or names another board is
// refused and leaves the file alone, a good one replaces it, try sets the
// grubenv, the verdict reaches the supervisor, reboot stops init.
func TestControlOverInitSock(t *testing.T) {
	esp := t.TempDir()
	if err := slots.Write(filepath.Join(esp, Grubenv), slots.State{Active: "a"}); err != nil {
		t.Fatal(err)
	}
	old := []byte("old manifest of b\n")
	if err := os.WriteFile(filepath.Join(esp, ManifestName("b")), old, 0o644); err != nil {
		t.Fatal(err)
	}
	seed := sha256.Sum256([]byte("pid1 control test release key"))
	key := ed25519.NewKeyFromSeed(seed[:])
	other := ed25519.NewKeyFromSeed(make([]byte, 32))
	var verdicts, stops, poweroffs atomic.Int32
	c := &Control{ESP: &DirESP{Dir: esp}, Slot: "a", Board: "virtual", Keys: []ed25519.PublicKey{key.Public().(ed25519.PublicKey)},
		Verdict: func() { verdicts.Add(1) },
		Stop: func(p bool) {
			if p {
				poweroffs.Add(1)
			} else {
				stops.Add(1)
			}
		}}
	sock := filepath.Join(t.TempDir(), "init.sock")
	ln, err := initapi.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- initapi.NewServer(c, nil, nil).Serve(ctx, ln) }()
	cl := initapi.Dial(sock)
	defer cl.Close()

	b, err := cl.Boot(ctx)
	if err != nil || b.Slot != "a" || b.Active != "a" || b.OnTrial() || !b.Good {
		t.Fatalf("Boot = %+v, %v", b, err)
	}
	for _, tc := range []struct {
		name, slot string
		signed     []byte
		want       string
	}{
		{"booted slot", "a", signedManifest(t, key, "virtual", "2.0"), "slot a is the booted slot"},
		{"no slot", "c", signedManifest(t, key, "virtual", "2.0"), `slot "c"`},
		{"other key", "b", signedManifest(t, other, "virtual", "2.0"), "manifest signature not valid"},
		{"other board", "b", signedManifest(t, key, "rpi4", "2.0"), `it is for board "rpi4", this is "virtual"`},
	} {
		err := cl.WriteManifest(ctx, tc.slot, tc.signed)
		if !errors.Is(err, initapi.ErrRefused) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want a refusal saying %q", tc.name, err, tc.want)
		}
		if got, _ := os.ReadFile(filepath.Join(esp, ManifestName("b"))); !bytes.Equal(got, old) {
			t.Fatalf("%s: slot b's manifest changed", tc.name)
		}
		if _, err := os.Stat(filepath.Join(esp, ManifestName("a"))); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s: the booted slot's manifest was written", tc.name)
		}
	}
	good := signedManifest(t, key, "virtual", "2.0")
	if err := cl.WriteManifest(ctx, "b", good); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(esp, ManifestName("b"))); !bytes.Equal(got, good) {
		t.Fatal("slot b's manifest not written")
	}
	if err := cl.Try(ctx, "a"); !errors.Is(err, initapi.ErrRefused) {
		t.Fatalf("try the booted slot: %v", err)
	}
	if err := cl.Try(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if st, err := slots.Read(filepath.Join(esp, Grubenv)); err != nil || st != (slots.State{Active: "a", Trying: "b", Tries: slots.MaxTries}) {
		t.Fatalf("grubenv after try: %v, %v", st, err)
	}
	// An image whose init config gives a new slot one boot.
	c.TrialBoots = 1
	if err := cl.Try(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if st, err := slots.Read(filepath.Join(esp, Grubenv)); err != nil || st != (slots.State{Active: "a", Trying: "b", Tries: 1}) {
		t.Fatalf("grubenv after try with one trial boot: %v, %v", st, err)
	}
	if err := cl.Good(ctx); err != nil || verdicts.Load() != 1 {
		t.Fatalf("good: %v (%d verdicts)", err, verdicts.Load())
	}
	if err := cl.Reboot(ctx); err != nil || stops.Load() != 1 {
		t.Fatalf("reboot: %v", err)
	}
	if err := cl.PowerOff(ctx); err != nil || poweroffs.Load() != 1 {
		t.Fatalf("poweroff: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestBootOnTrial: the booted slot on trial is not good until marked.
func TestBootOnTrial(t *testing.T) {
	esp := t.TempDir()
	if err := slots.Write(filepath.Join(esp, Grubenv), slots.State{Active: "a", Trying: "b", Tries: 2}); err != nil {
		t.Fatal(err)
	}
	c := &Control{ESP: &DirESP{Dir: esp}, Slot: "b"}
	b, err := c.Boot(context.Background())
	if err != nil || !b.OnTrial() || b.Good {
		t.Fatalf("Boot = %+v, %v", b, err)
	}
	if err := c.MarkGood(); err != nil {
		t.Fatal(err)
	}
	b, err = c.Boot(context.Background())
	if err != nil || b.OnTrial() || !b.Good || b.Active != "b" {
		t.Fatalf("Boot after mark = %+v, %v", b, err)
	}
}
