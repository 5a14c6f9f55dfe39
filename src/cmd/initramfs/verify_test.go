package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"picket.dev/picket/src/system/manifest"
	"picket.dev/picket/src/system/slots"
)

// slotFixture writes a fake partition: a 64 KiB image followed by 4 KiB
// of other bytes (the rest of the partition), and the image's signed
// manifest.
func slotFixture(t *testing.T, priv ed25519.PrivateKey) (dev string, signed []byte) {
	t.Helper()
	img := make([]byte, 64<<10)
	rand.Read(img)
	m, err := manifest.Describe(strings.NewReader(string(img)), "virtual", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	sm, err := manifest.Sign(m, priv)
	if err != nil {
		t.Fatal(err)
	}
	signed, err = sm.Encode()
	if err != nil {
		t.Fatal(err)
	}
	tail := make([]byte, 4096)
	rand.Read(tail)
	dev = filepath.Join(t.TempDir(), "rootfs_a")
	if err := os.WriteFile(dev, append(img, tail...), 0o644); err != nil {
		t.Fatal(err)
	}
	return dev, signed
}

func TestVerifySlot(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	otherPub, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	tests := []struct {
		name    string
		change  func(t *testing.T, dev string, signed []byte) []byte
		trusted []ed25519.PublicKey
		board   string
		wantErr error
		want    string
	}{
		{name: "good", trusted: []ed25519.PublicKey{pub}, board: "virtual"},
		{name: "good, several keys", trusted: []ed25519.PublicKey{otherPub, pub}},
		{name: "bytes after the image do not matter", trusted: []ed25519.PublicKey{pub}, change: func(t *testing.T, dev string, s []byte) []byte {
			flip(t, dev, 64<<10+10)
			return s
		}},
		{name: "flipped byte", trusted: []ed25519.PublicKey{pub}, wantErr: manifest.ErrImageMismatch, want: "sha256", change: func(t *testing.T, dev string, s []byte) []byte {
			flip(t, dev, 1234)
			return s
		}},
		{name: "truncated partition", trusted: []ed25519.PublicKey{pub}, wantErr: manifest.ErrImageMismatch, want: "truncated", change: func(t *testing.T, dev string, s []byte) []byte {
			os.Truncate(dev, 1000)
			return s
		}},
		{name: "untrusted key", trusted: []ed25519.PublicKey{otherPub}, wantErr: manifest.ErrSignature, want: "not among the trusted keys"},
		{name: "signed by another key", trusted: []ed25519.PublicKey{pub}, wantErr: manifest.ErrSignature, change: func(t *testing.T, dev string, s []byte) []byte {
			m, _ := manifest.Verify(s, []ed25519.PublicKey{pub})
			sm, _ := manifest.Sign(m, otherPriv)
			b, _ := sm.Encode()
			return b
		}},
		{name: "unsigned", trusted: []ed25519.PublicKey{pub}, want: "not a signed manifest", change: func(t *testing.T, dev string, s []byte) []byte {
			return []byte("this is not a manifest")
		}},
		{name: "other board", trusted: []ed25519.PublicKey{pub}, board: "rpi4", want: `for board "virtual", this is "rpi4"`},
		{name: "missing device", trusted: []ed25519.PublicKey{pub}, wantErr: os.ErrNotExist, change: func(t *testing.T, dev string, s []byte) []byte {
			os.Remove(dev)
			return s
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dev, signed := slotFixture(t, priv)
			if tt.change != nil {
				signed = tt.change(t, dev, signed)
			}
			m, err := VerifySlot(dev, signed, tt.trusted, tt.board)
			if tt.wantErr == nil && tt.want == "" {
				if err != nil {
					t.Fatalf("VerifySlot: %v", err)
				}
				if m.Size != 64<<10 || m.Board != "virtual" {
					t.Fatalf("manifest %+v", m)
				}
				return
			}
			if err == nil {
				t.Fatal("VerifySlot accepted it")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to say %q", err, tt.want)
			}
		})
	}
}

func flip(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	f.ReadAt(b, off)
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func TestDecide(t *testing.T) {
	bad := errors.New("sha256 mismatch")
	ok := func() error { return nil }
	fails := func() error { return errors.New("other bad") }
	never := func() error { t.Fatal("other slot verified needlessly"); return nil }
	tests := []struct {
		name      string
		booted    string
		st        slots.State
		stErr     error
		bootedErr error
		other     func() error
		want      Plan
		msg       string
	}{
		{"verified", "a", slots.State{Active: "a"}, nil, nil, never, Plan{Boot: "a"}, "slot a verified"},
		{"tried slot refused", "b", slots.State{Active: "a", Trying: "b", Tries: 2}, nil, bad, never, Plan{NewState: &slots.State{Active: "a"}}, "falling back to slot a"},
		{"active refused, other good", "a", slots.State{Active: "a"}, nil, bad, ok, Plan{NewState: &slots.State{Active: "b"}}, "slot b verifies"},
		{"active refused, other bad", "a", slots.State{Active: "a"}, nil, bad, fails, Plan{Halt: true}, NoSystemMessage},
		{"grubenv unreadable, other good", "b", slots.State{}, errors.New("no grubenv"), bad, ok, Plan{NewState: &slots.State{Active: "a"}}, "slot a verifies"},
		{"no slot on cmdline", "", slots.State{}, nil, errors.New("no picket.slot"), never, Plan{Halt: true}, NoSystemMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(tt.booted, tt.st, tt.stErr, tt.bootedErr, tt.other)
			if got.Boot != tt.want.Boot || got.Halt != tt.want.Halt || (got.NewState == nil) != (tt.want.NewState == nil) ||
				(got.NewState != nil && *got.NewState != *tt.want.NewState) {
				t.Fatalf("plan %+v, want %+v", got, tt.want)
			}
			if !strings.Contains(got.Message, tt.msg) {
				t.Fatalf("message %q, want it to say %q", got.Message, tt.msg)
			}
			if tt.bootedErr != nil && !strings.Contains(got.Message, tt.bootedErr.Error()) {
				t.Fatalf("message %q does not say why the slot was refused", got.Message)
			}
		})
	}
}
