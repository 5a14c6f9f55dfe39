package updater

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"picket.dev/picket/src/base/atomicfile"
	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/scan/scanapi"
	"picket.dev/picket/src/system/initapi"
	"picket.dev/picket/src/system/manifest"
	"picket.dev/picket/src/testkit/fakeclock"
	"picket.dev/picket/src/update/chunks"
	"picket.dev/picket/src/update/tuf"
	"picket.dev/picket/src/update/updateapi"
)

// fakeMeta is a verified repository: targets by path with their bytes.
type fakeMeta struct {
	mu      sync.Mutex
	files   map[string][]byte
	info    map[string]tuf.Info
	fetched int64 // bytes served
	refs    []time.Time
	fail    error // Refresh fails
}

func newFakeMeta() *fakeMeta {
	return &fakeMeta{files: map[string][]byte{}, info: map[string]tuf.Info{}}
}

func (f *fakeMeta) add(p, kind, board, version string, b []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[p] = b
	f.info[p] = tuf.Info{Path: p, Length: int64(len(b)), SHA256: sha256.Sum256(b), Custom: tuf.Custom{Kind: kind, Board: board, Version: version}}
}

func (f *fakeMeta) Refresh(_ context.Context, ref time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refs = append(f.refs, ref)
	return f.fail
}

func (f *fakeMeta) Target(p string) (tuf.Info, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, ok := f.info[p]
	if !ok {
		return tuf.Info{}, tuf.ErrNotFound
	}
	return i, nil
}

func (f *fakeMeta) TargetURL(i tuf.Info) string { return i.Path }

func (f *fakeMeta) Fetch(_ context.Context, url string, off, n int64, w io.Writer) (int64, error) {
	f.mu.Lock()
	b := f.files[url]
	f.fetched += n
	f.mu.Unlock()
	if off+n > int64(len(b)) {
		return 0, errors.New("range outside the target")
	}
	m, err := w.Write(b[off : off+n])
	return int64(m), err
}

func (f *fakeMeta) served() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fetched
}

// fakeInit is init.sock in memory: the boot state and what was asked.
type fakeInit struct {
	mu        sync.Mutex
	boot      initapi.Boot
	manifests map[string][]byte
	tries     []string
	goods     int
	reboots   int
	// bootErr: init.sock does not answer (yet).
	bootErr error
}

func (f *fakeInit) Boot(context.Context) (initapi.Boot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.boot, f.bootErr
}

func (f *fakeInit) WriteManifest(_ context.Context, slot string, signed []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if slot == f.boot.Slot {
		return initapi.ErrRefused
	}
	f.manifests[slot] = signed
	return nil
}

func (f *fakeInit) Try(_ context.Context, slot string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tries = append(f.tries, slot)
	f.boot.Trying, f.boot.Tries = slot, 3
	return nil
}

func (f *fakeInit) Good(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.goods++
	return nil
}

func (f *fakeInit) Reboot(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reboots++
	return nil
}

func (f *fakeInit) PowerOff(context.Context) error { return nil }

func (f *fakeInit) counts() (goods, reboots int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.goods, f.reboots
}

type fakeScanner struct {
	mu      sync.Mutex
	version string
	got     [][]byte
}

func (f *fakeScanner) State(context.Context) (scanapi.State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return scanapi.State{Signatures: &scanapi.Signatures{Version: f.version}}, nil
}

func (f *fakeScanner) InstallSignatures(_ context.Context, pkg []byte) (scanapi.Signatures, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, pkg)
	v, _ := strings.CutPrefix(string(pkg), "sigs ")
	f.version = v
	return scanapi.Signatures{Version: v}, nil
}

const slotSize = 4 << 20

// box is a box's updater world: slots as files, the data partition, the
// repository, init.
type box struct {
	t         *testing.T
	dir, data string
	key       ed25519.PrivateKey
	meta      *fakeMeta
	init      *fakeInit
	scan      *fakeScanner
	clock     *fakeclock.Clock
	running   []byte // the running slot's image
}

func newBox(t *testing.T) *box {
	b := &box{t: t, dir: t.TempDir(), meta: newFakeMeta(), scan: &fakeScanner{version: "2027.01"},
		init:  &fakeInit{boot: initapi.Boot{Slot: "a", Active: "a", Good: true}, manifests: map[string][]byte{}},
		clock: fakeclock.New(t, time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC))}
	b.data = filepath.Join(b.dir, "data")
	os.MkdirAll(b.data, 0o700)
	seed := sha256.Sum256([]byte("updater test release key"))
	b.key = ed25519.NewKeyFromSeed(seed[:])
	r := rand.New(rand.NewPCG(1, 2))
	b.running = make([]byte, 3<<20)
	for i := range b.running {
		b.running[i] = byte(r.Uint32())
	}
	slotA := append(bytes.Clone(b.running), make([]byte, slotSize-len(b.running))...)
	os.WriteFile(filepath.Join(b.dir, "slot-a"), slotA, 0o600)
	os.WriteFile(filepath.Join(b.dir, "slot-b"), make([]byte, slotSize), 0o600)
	return b
}

// release publishes version v: the running image with one stretch
// changed (a one-daemon change), its manifest and its chunk index.
func (b *box) release(v string) []byte {
	img := bytes.Clone(b.running)
	copy(img[1<<20:], bytes.Repeat([]byte("new daemon "+v), 20000))
	sm, err := manifest.Sign(manifest.Manifest{Format: manifest.FormatVersion, Board: "virtual", Version: v, Size: int64(len(img)), SHA256: hex.EncodeToString(sha256Of(img))}, b.key)
	if err != nil {
		b.t.Fatal(err)
	}
	signed, _ := sm.Encode()
	ix, err := chunks.Build(bytes.NewReader(img))
	if err != nil {
		b.t.Fatal(err)
	}
	dir := "software/virtual/" + v + "/"
	b.meta.add(dir+tuf.FileImage, platformapi.UpdateSoftware, "virtual", v, img)
	b.meta.add(dir+tuf.FileManifest, platformapi.UpdateSoftware, "virtual", v, signed)
	b.meta.add(dir+tuf.FileChunks, platformapi.UpdateSoftware, "virtual", v, ix.Marshal())
	return img
}

func sha256Of(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

func (b *box) slot(s string) []byte {
	got, err := os.ReadFile(filepath.Join(b.dir, "slot-"+s))
	if err != nil {
		b.t.Fatal(err)
	}
	return got
}

// start runs an updater of version v until the test ends or stop.
func (b *box) start(v string) (*Updater, func()) {
	b.t.Helper()
	var in initapi.Init // no init.sock when b.init is nil
	if b.init != nil {
		in = b.init
	}
	u, err := New(Config{
		Clock: b.clock, Data: atomicfile.Dir(b.data), Init: in,
		Metadata:   func(string, *http.Client) (Metadata, error) { return b.meta, nil },
		HTTP:       func(updateapi.Link) *http.Client { return nil },
		SlotDevice: func(s string) (string, error) { return filepath.Join(b.dir, "slot-"+s), nil },
		Keys:       []ed25519.PublicKey{b.key.Public().(ed25519.PublicKey)},
		Board:      "virtual", Version: v, Scanner: b.scan, CommitEvery: 256 << 10,
		TrialPeriod: 10 * time.Minute, LocalHealth: 2 * time.Minute,
	})
	if err != nil {
		b.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			b.t.Error(err)
		}
	}
	b.t.Cleanup(stop)
	return u, stop
}

func (b *box) link(notices ...platformapi.UpdateNotice) updateapi.Link {
	now := b.clock.Now()
	return updateapi.Link{Platform: "https://platform.test", PlatformTime: now, PolledAt: now, Updates: notices}
}

func software(v string) platformapi.UpdateNotice {
	return platformapi.UpdateNotice{Kind: platformapi.UpdateSoftware, Version: v, Target: "software/virtual/" + v + "/" + tuf.FileImage}
}

// waitFor polls u's state until ok says so.
func waitFor(t *testing.T, u *Updater, what string, ok func(updateapi.State) bool) updateapi.State {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := u.State()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: state %+v", what, st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func rebooted(f *fakeInit) func(updateapi.State) bool {
	return func(updateapi.State) bool { _, r := f.counts(); return r > 0 }
}

// TestSoftwareUpdate: a notice of a newer release is downloaded as a
// delta into the idle slot (fewer bytes than the image), verified, its
// manifest handed to init, the slot tried and the box rebooted, the
// running slot untouched; on the new slot, on trial, the first hand-over
// (it reached the platform) vouches for it.
func TestSoftwareUpdate(t *testing.T) {
	b := newBox(t)
	img := b.release("2.0")
	before := b.slot("a")
	u, stop := b.start("1.0")
	if _, err := u.Handover(context.Background(), b.link(software("2.0"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, u, "the reboot", rebooted(b.init))
	if st := u.State(); st.Phase != updateapi.PhaseRebooting || st.Pending != "2.0" {
		t.Errorf("state %+v", st)
	}
	stop()
	if got := b.slot("b"); !bytes.Equal(got[:len(img)], img) {
		t.Fatal("slot b does not hold the image")
	}
	if !bytes.Equal(b.slot("a"), before) {
		t.Fatal("the running slot changed")
	}
	if len(b.init.manifests["b"]) == 0 || len(b.init.tries) != 1 || b.init.tries[0] != "b" {
		t.Fatalf("init: manifests %d, tries %v", len(b.init.manifests), b.init.tries)
	}
	if n := b.meta.served(); n >= int64(len(img))/2 {
		t.Errorf("%d bytes fetched for a %d-byte image with one change: the delta was not used", n, len(img))
	}
	if len(b.meta.refs) == 0 || !b.meta.refs[0].Equal(b.clock.Now()) {
		t.Errorf("refresh reference times %v", b.meta.refs)
	}

	// The reboot: GRUB boots b on trial.
	b.init.boot = initapi.Boot{Slot: "b", Active: "a", Trying: "b", Tries: 2}
	u, _ = b.start("2.0")
	waitFor(t, u, "trying", func(st updateapi.State) bool { return st.Phase == updateapi.PhaseTrying })
	if g, _ := b.init.counts(); g != 0 {
		t.Fatal("vouched for before reaching the platform")
	}
	u.Handover(context.Background(), b.link(software("2.0")))
	waitFor(t, u, "the verdict", func(updateapi.State) bool { g, _ := b.init.counts(); return g == 1 })
	waitFor(t, u, "idle", func(st updateapi.State) bool { return st.Phase == updateapi.PhaseIdle && st.Software == "2.0" })
	if j, _ := os.ReadFile(filepath.Join(b.data, JournalName)); strings.Contains(string(j), "phase") {
		t.Errorf("journal after the update: %s", j)
	}
}

// TestOlderRefused: a release not newer than the running one is refused
// (anti-rollback beyond TUF); nothing is written.
func TestOlderRefused(t *testing.T) {
	b := newBox(t)
	b.release("1.5")
	u, _ := b.start("2.0")
	u.Handover(context.Background(), b.link(software("1.5")))
	st := waitFor(t, u, "failed", func(st updateapi.State) bool { return st.Phase == updateapi.PhaseFailed })
	if !strings.Contains(st.Error, ErrOlder.Error()) {
		t.Errorf("error %q", st.Error)
	}
	if !bytes.Equal(b.slot("b"), make([]byte, slotSize)) || b.meta.served() != 0 {
		t.Fatal("an older release was downloaded")
	}
}

// TestSlotOnTrialNotWritten: while the idle slot is set to be tried (an
// install that set the trial has not rebooted yet), a newer release is
// not written into it: a power cut would leave a half-written slot for
// GRUB to try.
func TestSlotOnTrialNotWritten(t *testing.T) {
	b := newBox(t)
	b.release("3.0")
	b.init.boot = initapi.Boot{Slot: "a", Active: "a", Trying: "b", Tries: 3}
	before := b.slot("b")
	u, _ := b.start("1.0")
	u.Handover(context.Background(), b.link(software("3.0")))
	st := waitFor(t, u, "failed", func(st updateapi.State) bool { return st.Phase == updateapi.PhaseFailed })
	if !strings.Contains(st.Error, "set to be tried") {
		t.Errorf("error %q", st.Error)
	}
	if !bytes.Equal(b.slot("b"), before) || b.meta.served() != 0 {
		t.Fatal("the slot set to be tried was written")
	}
	if _, r := b.init.counts(); r != 0 || len(b.init.tries) != 0 {
		t.Fatalf("init asked to try or reboot: tries %v", b.init.tries)
	}
}

// TestWaitsForScan: a scan runs and the notice does not force: nothing
// is written until the scan ends or the platform forces it.
func TestWaitsForScan(t *testing.T) {
	b := newBox(t)
	b.release("2.0")
	u, _ := b.start("1.0")
	l := b.link(software("2.0"))
	l.ScanRunning = true
	u.Handover(context.Background(), l)
	waitFor(t, u, "waiting", func(st updateapi.State) bool { return st.Phase == updateapi.PhaseWaiting })
	if !bytes.Equal(b.slot("b"), make([]byte, slotSize)) {
		t.Fatal("written while a scan runs")
	}
	l.Updates[0].Force = true
	u.Handover(context.Background(), l)
	waitFor(t, u, "the reboot", rebooted(b.init))
}

// TestNoTrustedTime: before a poll has answered with the platform's time
// no metadata is checked.
func TestNoTrustedTime(t *testing.T) {
	b := newBox(t)
	b.release("2.0")
	u, _ := b.start("1.0")
	l := b.link(software("2.0"))
	l.PlatformTime = time.Time{}
	u.Handover(context.Background(), l)
	st := waitFor(t, u, "failed", func(st updateapi.State) bool { return st.Phase == updateapi.PhaseFailed })
	if !strings.Contains(st.Error, ErrNoTrustedTime.Error()) || len(b.meta.refs) != 0 {
		t.Errorf("error %q, refreshes %d", st.Error, len(b.meta.refs))
	}
}

// TestTrustedTimeFromPlatform: a box clock far off (no RTC: 1970) takes
// the platform's time plus the time since the poll.
func TestTrustedTimeFromPlatform(t *testing.T) {
	b := newBox(t)
	u, _ := b.start("1.0")
	pt := time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC)
	at := b.clock.Now()
	b.clock.Advance(time.Minute)
	if got := u.trustedTime(updateapi.Link{PlatformTime: pt}, at); !got.Equal(pt.Add(time.Minute)) {
		t.Errorf("trusted time %v, want the platform's %v", got, pt.Add(time.Minute))
	}
	near := b.clock.Now().Add(-2 * time.Minute)
	if got := u.trustedTime(updateapi.Link{PlatformTime: near}, b.clock.Now()); !got.Equal(b.clock.Now()) {
		t.Errorf("trusted time %v, want the system clock within the tolerance", got)
	}
}

// rollBack puts the box where a rollback leaves it: the journal says
// slot b was being tried, GRUB booted a again with b given up.
func (b *box) rollBack(v string) {
	b.release(v)
	u, stop := b.start("1.0")
	u.Handover(context.Background(), b.link(software(v)))
	waitFor(b.t, u, "the reboot", rebooted(b.init))
	stop()
	b.init.boot = initapi.Boot{Slot: "a", Active: "a", Good: true}
}

// TestRollbackThatReachedPlatform: after a rollback the old slot reaches
// the platform: the version failed, and it is not retried.
func TestRollbackThatReachedPlatform(t *testing.T) {
	b := newBox(t)
	b.rollBack("2.0")
	served := b.meta.served()
	u, _ := b.start("1.0")
	waitFor(t, u, "failed", func(st updateapi.State) bool { return st.Phase == updateapi.PhaseFailed })
	u.Handover(context.Background(), b.link(software("2.0")))
	st := waitFor(t, u, "failed before", func(st updateapi.State) bool { return strings.Contains(st.Error, ErrFailedBefore.Error()) })
	if !strings.Contains(st.Error, "did not reach the platform") || b.meta.served() != served {
		t.Fatalf("state %+v; %d bytes fetched again", st, b.meta.served()-served)
	}
	// A newer release is installed.
	b.release("2.1")
	u.Handover(context.Background(), b.link(software("2.1")))
	waitFor(t, u, "the reboot", func(updateapi.State) bool { _, r := b.init.counts(); return r == 2 })
}

// TestRollbackInOutage: after a rollback the old slot cannot reach the
// platform either within the trial period: an outage. The update is
// retried, and the retried slot is vouched for on local health, without
// a hand-over.
func TestRollbackInOutage(t *testing.T) {
	b := newBox(t)
	b.rollBack("2.0")
	u, stop := b.start("1.0")
	waitFor(t, u, "failed", func(st updateapi.State) bool { return st.Phase == updateapi.PhaseFailed })
	b.clock.WaitTimers(1)
	b.clock.Advance(10 * time.Minute)
	waitFor(t, u, "idle", func(st updateapi.State) bool { return st.Phase == updateapi.PhaseIdle })
	u.Handover(context.Background(), b.link(software("2.0")))
	waitFor(t, u, "the second reboot", func(updateapi.State) bool { _, r := b.init.counts(); return r == 2 })
	stop()
	b.init.boot = initapi.Boot{Slot: "b", Active: "a", Trying: "b", Tries: 2}
	u, _ = b.start("2.0")
	waitFor(t, u, "trying", func(st updateapi.State) bool { return st.Phase == updateapi.PhaseTrying })
	b.clock.WaitTimers(1)
	b.clock.Advance(2 * time.Minute)
	waitFor(t, u, "the verdict on local health", func(updateapi.State) bool { g, _ := b.init.counts(); return g == 1 })
}

// TestResumeAfterKill: the updater stopped mid-download (the process
// killed: its journal and slotwriter's survive) resumes from where the
// slot's bytes are durable.
func TestResumeAfterKill(t *testing.T) {
	b := newBox(t)
	img := b.release("2.0")
	// No chunk index: the whole image.
	delete(b.meta.info, "software/virtual/2.0/"+tuf.FileChunks)
	u, stop := b.start("1.0")
	// Cut in the middle: every fetch fails once 1 MiB has been served.
	kill := &killAfter{n: 1 << 20}
	u.cfg.Metadata = func(string, *http.Client) (Metadata, error) { return killMeta{b.meta, kill}, nil }
	u.Handover(context.Background(), b.link(software("2.0")))
	waitFor(t, u, "failed", func(st updateapi.State) bool { return st.Phase == updateapi.PhaseFailed })
	stop()
	if j, _ := os.ReadFile(filepath.Join(b.data, JournalName)); !strings.Contains(string(j), `"phase":"downloading"`) {
		t.Fatalf("journal %s", j)
	}
	before := b.meta.served()
	u, _ = b.start("1.0")
	u.Handover(context.Background(), b.link(software("2.0")))
	waitFor(t, u, "the reboot", rebooted(b.init))
	if again := b.meta.served() - before; again >= int64(len(img)) {
		t.Errorf("%d bytes fetched after the restart for a %d-byte image: not resumed", again, len(img))
	}
	if got := b.slot("b"); !bytes.Equal(got[:len(img)], img) {
		t.Fatal("slot b does not hold the image")
	}
}

type killAfter struct{ n int64 }

// killMeta fails every fetch once n bytes have been served in all.
type killMeta struct {
	*fakeMeta
	k *killAfter
}

func (m killMeta) Fetch(ctx context.Context, url string, off, n int64, w io.Writer) (int64, error) {
	if m.k.n <= 0 {
		return 0, errors.New("killed")
	}
	take := min(n, m.k.n)
	m.k.n -= take
	got, err := m.fakeMeta.Fetch(ctx, url, off, take, w)
	if err == nil && take < n {
		err = errors.New("killed")
	}
	return got, err
}

// TestSignatures: a newer signature package goes to scannerd; an older
// one is refused.
func TestSignatures(t *testing.T) {
	b := newBox(t)
	b.meta.add("signatures/2027.02/signatures.pkg", platformapi.UpdateSignatures, "", "2027.02", []byte("sigs 2027.02"))
	u, _ := b.start("1.0")
	n := platformapi.UpdateNotice{Kind: platformapi.UpdateSignatures, Version: "2027.02", Target: "signatures/2027.02/signatures.pkg"}
	u.Handover(context.Background(), b.link(n))
	waitFor(t, u, "installed", func(st updateapi.State) bool { return st.Signatures == "2027.02" && st.Phase == updateapi.PhaseIdle })
	if len(b.scan.got) != 1 || string(b.scan.got[0]) != "sigs 2027.02" {
		t.Fatalf("scanner got %q", b.scan.got)
	}
	n.Version, n.Target = "2026.12", "signatures/2026.12/signatures.pkg"
	u.Handover(context.Background(), b.link(n))
	st := waitFor(t, u, "refused", func(st updateapi.State) bool { return st.Phase == updateapi.PhaseFailed })
	if !strings.Contains(st.Error, ErrOlder.Error()) || len(b.scan.got) != 1 {
		t.Fatalf("state %+v", st)
	}
}

// TestSignaturesWithoutInit: updaterd without init.sock installs
// signatures; a software notice in the same hand-over (first) fails with
// ErrNoInit, writes nothing and does not hold the signatures up.
func TestSignaturesWithoutInit(t *testing.T) {
	b := newBox(t)
	b.init = nil
	b.release("2.0")
	b.meta.add("signatures/2027.02/signatures.pkg", platformapi.UpdateSignatures, "", "2027.02", []byte("sigs 2027.02"))
	u, _ := b.start("1.0")
	n := platformapi.UpdateNotice{Kind: platformapi.UpdateSignatures, Version: "2027.02", Target: "signatures/2027.02/signatures.pkg"}
	u.Handover(context.Background(), b.link(software("2.0"), n))
	st := waitFor(t, u, "signatures installed, software refused", func(st updateapi.State) bool {
		return st.Signatures == "2027.02" && st.Phase == updateapi.PhaseFailed
	})
	if !strings.Contains(st.Error, ErrNoInit.Error()) || !strings.HasPrefix(st.Error, "software 2.0") {
		t.Errorf("error %q, want software 2.0's %q", st.Error, ErrNoInit)
	}
	if len(b.scan.got) != 1 || !bytes.Equal(b.slot("b"), make([]byte, slotSize)) {
		t.Fatalf("scanner got %d packages; slot b written: %v", len(b.scan.got), !bytes.Equal(b.slot("b"), make([]byte, slotSize)))
	}
}

// TestSignaturesBeforeInitAnswers: while init.sock does not answer,
// signatures are installed and software waits (ErrNoBoot); once init
// answers, the next hand-over installs the software.
func TestSignaturesBeforeInitAnswers(t *testing.T) {
	b := newBox(t)
	b.init.bootErr = errors.New("connect: no such file or directory")
	b.release("2.0")
	b.meta.add("signatures/2027.02/signatures.pkg", platformapi.UpdateSignatures, "", "2027.02", []byte("sigs 2027.02"))
	u, _ := b.start("1.0")
	n := platformapi.UpdateNotice{Kind: platformapi.UpdateSignatures, Version: "2027.02", Target: "signatures/2027.02/signatures.pkg"}
	u.Handover(context.Background(), b.link(software("2.0"), n))
	st := waitFor(t, u, "signatures installed", func(st updateapi.State) bool { return st.Signatures == "2027.02" && st.Phase == updateapi.PhaseFailed })
	if !strings.Contains(st.Error, ErrNoBoot.Error()) {
		t.Errorf("error %q, want %q", st.Error, ErrNoBoot)
	}
	b.init.mu.Lock()
	b.init.bootErr = nil
	b.init.mu.Unlock()
	waitFor(t, u, "the boot state", func(st updateapi.State) bool {
		b.clock.Advance(time.Second) // the 2 s retry
		return st.Slot == "a"
	})
	u.Handover(context.Background(), b.link(software("2.0"), n))
	waitFor(t, u, "the reboot", rebooted(b.init))
}

// TestDeltaFallback: a chunk index that does not match its signed hash
// makes the install fall back to the whole image.
func TestDeltaFallback(t *testing.T) {
	b := newBox(t)
	img := b.release("2.0")
	p := "software/virtual/2.0/" + tuf.FileChunks
	b.meta.files[p] = append(bytes.Clone(b.meta.files[p][:len(b.meta.files[p])-1]), 0)
	u, _ := b.start("1.0")
	u.Handover(context.Background(), b.link(software("2.0")))
	waitFor(t, u, "the reboot", rebooted(b.init))
	if got := b.slot("b"); !bytes.Equal(got[:len(img)], img) {
		t.Fatal("slot b does not hold the image")
	}
	if b.meta.served() < int64(len(img)) {
		t.Errorf("%d bytes fetched: the whole image was not", b.meta.served())
	}
}
