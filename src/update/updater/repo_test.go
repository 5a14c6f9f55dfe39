package updater

// The updater's core against a real repository: built and signed with the
// release package (updaterepo), served over TLS on loopback, read through
// the real tuf client and the management path's HTTP client (mgmthttp),
// written with the real slotwriter into file-backed slots, init being the
// real pid1.Control over a directory ESP on a real init.sock, and
// signatures going to a real sigpkg store behind scanner.sock.

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/src/base/atomicfile"
	"picket.dev/picket/src/link/mgmthttp"
	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/scan/scanapi"
	"picket.dev/picket/src/scan/sigpkg"
	"picket.dev/picket/src/system/initapi"
	"picket.dev/picket/src/system/manifest"
	"picket.dev/picket/src/system/pid1"
	"picket.dev/picket/src/system/slots"
	"picket.dev/picket/src/testkit/fakeclock"
	"picket.dev/picket/src/testkit/updaterepo"
	"picket.dev/picket/src/update/tuf"
	"picket.dev/picket/src/update/updateapi"
)

const (
	realSlotSize = 4 << 20
	realImage    = 3<<20 + 12345
)

// calls records what init was asked besides the boot state.
type calls struct {
	initapi.Init
	mu  sync.Mutex
	log []string
}

func (c *calls) add(s string) {
	c.mu.Lock()
	c.log = append(c.log, s)
	c.mu.Unlock()
}

func (c *calls) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.log...)
}

func (c *calls) WriteManifest(ctx context.Context, slot string, b []byte) error {
	c.add("manifest " + slot)
	return c.Init.WriteManifest(ctx, slot, b)
}

func (c *calls) Try(ctx context.Context, slot string) error {
	c.add("try " + slot)
	return c.Init.Try(ctx, slot)
}

func (c *calls) Good(ctx context.Context) error { c.add("good"); return c.Init.Good(ctx) }

func (c *calls) Reboot(ctx context.Context) error { c.add("reboot"); return c.Init.Reboot(ctx) }

// sigScanner is scannerd as the updater meets it: scanner.sock with a real
// signature store behind it.
type sigScanner struct{ store *sigpkg.Store[string] }

func (s *sigScanner) State() scanapi.State {
	st := scanapi.State{MaxJobs: 1}
	if v := s.store.Version(); v != "" {
		st.Signatures = &scanapi.Signatures{Version: v, Source: sigpkg.SourceData}
	}
	return st
}

func (s *sigScanner) CancelScan(context.Context, string) (bool, error) { return false, nil }

func (s *sigScanner) InstallSignatures(pkg []byte) (scanapi.Signatures, error) {
	h, err := s.store.Install(pkg)
	if err != nil {
		return scanapi.Signatures{}, err
	}
	return scanapi.Signatures{Version: h.Version, Created: h.Created, Source: sigpkg.SourceData}, nil
}

// realBox is a box whose updater talks to real parts.
type realBox struct {
	t                *testing.T
	dir, data, esp   string
	repo             *updaterepo.Repo
	clock            *fakeclock.Clock
	init             *calls
	store            *sigpkg.Store[string]
	scanner          *scanapi.Client
	running          []byte
	slotA            []byte // the running slot's bytes before the update
	board, version   string
	stops, verdicts  int
	mu               sync.Mutex
	updater          *Updater
	cancel           context.CancelFunc
	done             chan error
	initSock, scSock string
}

func newRealBox(t *testing.T, version string) *realBox {
	now := time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC)
	b := &realBox{t: t, dir: t.TempDir(), repo: updaterepo.New(t, now), clock: fakeclock.New(t, now.Add(time.Hour)),
		board: "virtual", version: version}
	b.data, b.esp = filepath.Join(b.dir, "data"), filepath.Join(b.dir, "esp")
	for _, d := range []string{b.data, b.esp} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	b.running = updaterepo.Image(realImage, 1)
	b.slotA = append(bytes.Clone(b.running), make([]byte, realSlotSize-len(b.running))...)
	b.writeFile("slot-a", b.slotA)
	b.writeFile("slot-b", make([]byte, realSlotSize))
	if err := slots.Write(filepath.Join(b.esp, pid1.Grubenv), slots.State{Active: "a"}); err != nil {
		t.Fatal(err)
	}

	// init.sock: the real Control over the ESP directory.
	ctl := &pid1.Control{ESP: &pid1.DirESP{Dir: b.esp}, Slot: "a", Board: b.board, Keys: []ed25519.PublicKey{b.repo.ReleasePub()},
		Verdict: func() { b.mu.Lock(); b.verdicts++; b.mu.Unlock() },
		Stop:    func(bool) { b.mu.Lock(); b.stops++; b.mu.Unlock() }}
	sockDir, err := os.MkdirTemp("", "updater-sock")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	b.initSock, b.scSock = filepath.Join(sockDir, "init.sock"), filepath.Join(sockDir, "scanner.sock")
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	ln, err := initapi.Listen(b.initSock)
	if err != nil {
		t.Fatal(err)
	}
	wg.Add(2)
	go func() { defer wg.Done(); initapi.NewServer(ctl, nil, nil).Serve(ctx, ln) }()
	ic := initapi.Dial(b.initSock)
	t.Cleanup(func() { ic.Close() })
	b.init = &calls{Init: ic}

	// scanner.sock with a real signature store.
	b.store, err = sigpkg.New(sigpkg.Config[string]{
		Trusted: []ed25519.PublicKey{b.repo.ReleasePub()}, Data: atomicfile.Dir(b.data), Dir: "signatures",
		Compile: func(src []byte) (string, error) {
			v, ok := strings.CutPrefix(string(src), "picket-signatures ")
			if !ok {
				return "", errors.New("not a signature database")
			}
			return v, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	sl, err := scanapi.Listen(b.scSock)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer wg.Done()
		scanapi.NewServer(&sigScanner{store: b.store}, nil, scanapi.Access{}).Serve(ctx, sl)
	}()
	b.scanner = scanapi.Dial(b.scSock)
	t.Cleanup(func() { b.scanner.Close() })
	return b
}

func (b *realBox) writeFile(name string, data []byte) {
	b.t.Helper()
	if err := os.WriteFile(filepath.Join(b.dir, name), data, 0o600); err != nil {
		b.t.Fatal(err)
	}
}

func (b *realBox) readFile(name string) []byte {
	b.t.Helper()
	got, err := os.ReadFile(filepath.Join(b.dir, name))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		b.t.Fatal(err)
	}
	return got
}

// start runs the updater as updaterd wires it, but for the clock.
func (b *realBox) start() *Updater {
	b.t.Helper()
	roots := b.repo.CertPool()
	u, err := New(Config{
		Clock: b.clock, Data: atomicfile.Dir(b.data), Init: b.init,
		Metadata: TUF(b.repo.Root(), filepath.Join(b.data, "updates", "tuf"), b.clock),
		HTTP: func(l updateapi.Link) *http.Client {
			u, _ := url.Parse(l.Platform)
			return mgmthttp.New(l.Path, mgmthttp.Options{RootCAs: roots, ServerName: u.Hostname()})
		},
		SlotDevice: func(s string) (string, error) { return filepath.Join(b.dir, "slot-"+s), nil },
		Keys:       []ed25519.PublicKey{b.repo.ReleasePub()},
		Board:      b.board, Version: b.version, Scanner: b.scanner, CommitEvery: 256 << 10,
	})
	if err != nil {
		b.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	b.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.t.Error(err)
		}
	})
	return u
}

func (b *realBox) handover(u *Updater, notices ...platformapi.UpdateNotice) {
	b.t.Helper()
	now := b.clock.Now()
	if _, err := u.Handover(context.Background(), updateapi.Link{Platform: b.repo.URL(), PlatformTime: now, PolledAt: now, Updates: notices}); err != nil {
		b.t.Fatal(err)
	}
}

func (b *realBox) rebootsAsked() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stops
}

func softwareNotice(rel updaterepo.Release) platformapi.UpdateNotice {
	return platformapi.UpdateNotice{Kind: platformapi.UpdateSoftware, Version: rel.Version, Target: rel.Path(tuf.FileImage)}
}

// checkInstalled asserts the end of a good install: the running slot as
// it was, the idle slot holding the image (its signed hash), the ESP
// holding the release's signed manifest that verifies and describes the
// slot, the grubenv trying b with every try, init asked once each, a
// reboot asked.
func (b *realBox) checkInstalled(rel updaterepo.Release) {
	b.t.Helper()
	if !bytes.Equal(b.readFile("slot-a"), b.slotA) {
		b.t.Error("the running slot's bytes changed")
	}
	slotB := b.readFile("slot-b")
	m, err := manifest.Verify(rel.Manifest, []ed25519.PublicKey{b.repo.ReleasePub()})
	if err != nil {
		b.t.Fatal(err)
	}
	if err := manifest.VerifyImage(bytes.NewReader(slotB[:len(rel.Image)]), m); err != nil {
		b.t.Errorf("slot b against the release's manifest: %v", err)
	}
	onESP, err := os.ReadFile(filepath.Join(b.esp, pid1.ManifestName("b")))
	if err != nil || !bytes.Equal(onESP, rel.Manifest) {
		b.t.Errorf("ESP's slot-b.manifest: %v (%d bytes, want the release's %d)", err, len(onESP), len(rel.Manifest))
	}
	st, err := slots.Read(filepath.Join(b.esp, pid1.Grubenv))
	if err != nil || st != (slots.State{Active: "a", Trying: "b", Tries: slots.MaxTries}) {
		b.t.Errorf("grubenv %v, %v: want active a, trying b with %d tries", st, err, slots.MaxTries)
	}
	if got, want := strings.Join(b.init.list(), ", "), "manifest b, try b, reboot"; got != want {
		b.t.Errorf("init was asked: %s; want %s", got, want)
	}
}

// TestRealInstallDelta: a release that changes three stretches of the
// image is installed as a delta: far fewer bytes than the image cross the
// wire, the rest is copied from the running slot.
func TestRealInstallDelta(t *testing.T) {
	b := newRealBox(t, "1.0")
	rel := b.repo.AddSoftware("virtual", "2.0", updaterepo.Change(b.running, "2.0", 512<<10, 3<<19, 5<<19))
	u := b.start()
	b.handover(u, softwareNotice(rel))
	waitFor(t, u, "the reboot", func(updateapi.State) bool { return b.rebootsAsked() > 0 })
	b.checkInstalled(rel)
	fetched := b.repo.Served(rel.URLPath(tuf.FileImage))
	if fetched == 0 || fetched > int64(len(rel.Image))/4 {
		t.Errorf("%d bytes of the %d-byte image fetched for a three-stretch change: want a delta (≤ 25%%)", fetched, len(rel.Image))
	}
	t.Logf("delta install: %d of %d image bytes fetched (%.1f%%), chunk index %d bytes", fetched, len(rel.Image), 100*float64(fetched)/float64(len(rel.Image)), len(rel.Chunks))
}

// TestRealInstallWholeImage: the chunk index cannot be had (the proxy
// answers 404 for it): the whole image is fetched and installed.
func TestRealInstallWholeImage(t *testing.T) {
	b := newRealBox(t, "1.0")
	rel := b.repo.AddSoftware("virtual", "2.0", updaterepo.Change(b.running, "2.0", 512<<10))
	chunksURL := rel.URLPath(tuf.FileChunks)
	b.repo.SetHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if r.URL.Path == chunksURL {
			http.NotFound(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
	u := b.start()
	b.handover(u, softwareNotice(rel))
	waitFor(t, u, "the reboot", func(updateapi.State) bool { return b.rebootsAsked() > 0 })
	b.checkInstalled(rel)
	if got := b.repo.Served(rel.URLPath(tuf.FileImage)); got != int64(len(rel.Image)) {
		t.Errorf("%d bytes of the image fetched; want the whole %d", got, len(rel.Image))
	}
}

// TestRealSignatures: a newer signature package goes through scanner.sock
// into the real store; an older one is refused and the store keeps the
// newer.
func TestRealSignatures(t *testing.T) {
	b := newRealBox(t, "1.0")
	b.repo.AddSignatures("2027.01", []byte("picket-signatures 2027.01"))
	b.repo.AddSignatures("2027.02", []byte("picket-signatures 2027.02"))
	u := b.start()
	notice := func(v string) platformapi.UpdateNotice {
		return platformapi.UpdateNotice{Kind: platformapi.UpdateSignatures, Version: v, Target: tuf.SignaturesPath(v)}
	}
	b.handover(u, notice("2027.02"))
	waitFor(t, u, "installed", func(st updateapi.State) bool {
		return st.Signatures == "2027.02" && st.Phase == updateapi.PhaseIdle
	})
	if v := b.store.Version(); v != "2027.02" {
		t.Fatalf("store in force: %q", v)
	}
	b.handover(u, notice("2027.01"))
	st := waitFor(t, u, "refused", func(st updateapi.State) bool { return st.Phase == updateapi.PhaseFailed })
	if !strings.Contains(st.Error, ErrOlder.Error()) || b.store.Version() != "2027.02" {
		t.Fatalf("older signatures: state %+v, store %q", st, b.store.Version())
	}
	if n := b.repo.Served("signatures/2027.01/"); n != 0 {
		t.Errorf("%d bytes of the older package fetched", n)
	}
}

// TestRealRefusals: what the updater refuses, before init is asked
// anything and without touching either slot.
func TestRealRefusals(t *testing.T) {
	for _, tc := range []struct {
		name    string
		version string // running
		setup   func(b *realBox) platformapi.UpdateNotice
		want    []string // in the state's error
		image   string   // URL path of an image that must not be fetched
	}{{
		name: "downgrade", version: "2.0",
		setup: func(b *realBox) platformapi.UpdateNotice {
			rel := b.repo.AddSoftware("virtual", "1.5", updaterepo.Change(b.running, "1.5", 0))
			return softwareNotice(rel)
		},
		want: []string{"software 1.5: " + ErrOlder.Error() + " (2.0 runs)"},
	}, {
		name: "same version", version: "2.0",
		setup: func(b *realBox) platformapi.UpdateNotice {
			rel := b.repo.AddSoftware("virtual", "2.0", updaterepo.Change(b.running, "2.0", 0))
			return softwareNotice(rel)
		},
	}, {
		name: "altered bytes", version: "1.0",
		setup: func(b *realBox) platformapi.UpdateNotice {
			rel := b.repo.AddSoftware("virtual", "2.0", updaterepo.Change(b.running, "2.0", 512<<10))
			bad := bytes.Clone(rel.Image)
			bad[512<<10+100] ^= 1 // inside the changed stretch: the delta fetches it
			img := rel.URLPath(tuf.FileImage)
			b.repo.SetHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
				if r.URL.Path == img {
					http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(bad))
					return
				}
				next.ServeHTTP(w, r)
			})
			return softwareNotice(rel)
		},
		want: []string{"sha256"},
	}, {
		name: "another board's release", version: "1.0",
		setup: func(b *realBox) platformapi.UpdateNotice {
			rel := b.repo.AddSoftware("rpi4", "2.0", updaterepo.Change(b.running, "2.0", 0))
			return softwareNotice(rel)
		},
		want: []string{"not a slot image of board virtual"},
	}, {
		name: "notice's path is another board's", version: "1.0",
		setup: func(b *realBox) platformapi.UpdateNotice {
			b.repo.AddSoftware("rpi4", "2.0", updaterepo.Change(b.running, "2.0", 0))
			return platformapi.UpdateNotice{Kind: platformapi.UpdateSoftware, Version: "2.0", Target: tuf.SoftwarePath("rpi4", "2.0", tuf.FileManifest)}
		},
		want: []string{"not a slot image of board virtual"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			b := newRealBox(t, tc.version)
			n := tc.setup(b)
			slotB := b.readFile("slot-b")
			u := b.start()
			b.handover(u, n)
			st := waitFor(t, u, "the verdict", func(st updateapi.State) bool {
				return st.Phase == updateapi.PhaseFailed || (st.Phase == updateapi.PhaseIdle && len(tc.want) == 0)
			})
			// Give a wrong install the time to go on, if it would.
			time.Sleep(100 * time.Millisecond)
			st = u.State()
			for _, w := range tc.want {
				if !strings.Contains(st.Error, w) {
					t.Errorf("error %q does not say %q", st.Error, w)
				}
			}
			if len(tc.want) == 0 && st.Error != "" {
				t.Errorf("error %q for a release already running", st.Error)
			}
			if got := b.init.list(); len(got) != 0 {
				t.Errorf("init was asked %v", got)
			}
			if !bytes.Equal(b.readFile("slot-a"), b.slotA) {
				t.Error("the running slot changed")
			}
			if tc.name != "altered bytes" && !bytes.Equal(b.readFile("slot-b"), slotB) {
				t.Error("the idle slot was written")
			}
			if _, err := os.Stat(filepath.Join(b.esp, pid1.ManifestName("b"))); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a manifest of slot b on the ESP: %v", err)
			}
			if st, err := slots.Read(filepath.Join(b.esp, pid1.Grubenv)); err != nil || st != (slots.State{Active: "a"}) {
				t.Errorf("grubenv %v, %v", st, err)
			}
			if n := b.repo.Served("rootfs.img"); n != 0 && tc.name != "altered bytes" {
				t.Errorf("%d image bytes fetched", n)
			}
			t.Logf("%s: %s", tc.name, st.Error)
		})
	}
}
