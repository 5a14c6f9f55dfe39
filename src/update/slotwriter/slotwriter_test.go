package slotwriter

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"picket.dev/picket/src/base/atomicfile"
	"picket.dev/picket/src/testkit/crashfs"
	"picket.dev/picket/src/update/chunks"
)

func random(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n+8)
	for i := 0; i < n; i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.Uint64())
	}
	return b[:n]
}

func target(img []byte) Target { return Target{Length: int64(len(img)), SHA256: sha256.Sum256(img)} }

// errDevCrash is what a memDev returns from its power cut on.
var errDevCrash = errors.New("device: power cut")

// memDev is a block device in memory that models a power cut: written
// bytes are on the medium only once synced. FailAt n makes the n-th
// operation (WriteAt or Sync) and all later ones fail, as if the power
// went then; flipAt flips a byte on its way to the medium (a bad device
// that the read-back must catch).
type memDev struct {
	mu           sync.Mutex
	live, synced []byte
	ops, failAt  int
	crashed      bool
	flipAt       int64
	writes       int
}

func newMemDev(size int) *memDev {
	return &memDev{live: make([]byte, size), synced: make([]byte, size), flipAt: -1}
}

func (d *memDev) step() error {
	if d.crashed {
		return errDevCrash
	}
	d.ops++
	if d.failAt != 0 && d.ops >= d.failAt {
		d.crashed = true
		return errDevCrash
	}
	return nil
}

func (d *memDev) ReadAt(p []byte, off int64) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if off >= int64(len(d.live)) {
		return 0, io.EOF
	}
	n := copy(p, d.live[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (d *memDev) WriteAt(p []byte, off int64) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.step(); err != nil {
		return 0, err
	}
	if off+int64(len(p)) > int64(len(d.live)) {
		return 0, errors.New("device: write past the end")
	}
	copy(d.live[off:], p)
	if d.flipAt >= off && d.flipAt < off+int64(len(p)) {
		d.live[d.flipAt] ^= 0x40
	}
	d.writes++
	return len(p), nil
}

func (d *memDev) Sync() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.step(); err != nil {
		return err
	}
	copy(d.synced, d.live)
	return nil
}

// devCut is what a power cut keeps of unsynced writes.
type devCut int

const (
	devLost    devCut = iota // the medium has only the synced bytes
	devKept                  // every write reached the medium
	devGarbage               // unsynced bytes are garbage
)

// afterPowerCut returns the device as it is when the power comes back.
func (d *memDev) afterPowerCut(c devCut) *memDev {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := newMemDev(len(d.live))
	switch c {
	case devLost:
		copy(n.live, d.synced)
	case devKept:
		copy(n.live, d.live)
	case devGarbage:
		for i := range d.live {
			n.live[i] = d.synced[i]
			if d.live[i] != d.synced[i] {
				n.live[i] = 0x5a
			}
		}
	}
	copy(n.synced, n.live)
	return n
}

const journalName = "updates/slot.journal"

func newJournal(t *testing.T) atomicfile.FS {
	t.Helper()
	fsys := atomicfile.Dir(t.TempDir())
	if err := fsys.MkdirAll("updates", 0o700); err != nil {
		t.Fatal(err)
	}
	return fsys
}

func config(dev Device, size int, j atomicfile.FS) Config {
	return Config{Idle: dev, IdleSize: int64(size), Slot: "B", Journal: j, JournalName: journalName, CommitEvery: 64 << 10}
}

// cutReader yields the first n bytes of b, then fails, like a download
// whose connection drops.
type cutReader struct {
	b []byte
	n int
}

var errCut = errors.New("connection reset")

func (c *cutReader) Read(p []byte) (int, error) {
	if c.n <= 0 {
		return 0, errCut
	}
	if len(p) > c.n {
		p = p[:c.n]
	}
	k := copy(p, c.b)
	c.b, c.n = c.b[k:], c.n-k
	if k == 0 {
		return 0, io.EOF
	}
	return k, nil
}

func TestWholeImage(t *testing.T) {
	img := random(1, 1<<20+12345)
	dev := newMemDev(2 << 20)
	j := newJournal(t)
	var progress []int64
	cfg := config(dev, 2<<20, j)
	cfg.Progress = func(d, total int64) {
		if total != int64(len(img)) {
			t.Errorf("progress total %d", total)
		}
		progress = append(progress, d)
	}
	w, err := Open(cfg, target(img))
	if err != nil {
		t.Fatal(err)
	}
	if w.Resumed() || w.Offset() != 0 {
		t.Fatalf("fresh open: resumed %v at %d", w.Resumed(), w.Offset())
	}
	if _, err := w.ReadFrom(bytes.NewReader(img)); err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dev.synced[:len(img)], img) {
		t.Fatal("the medium does not hold the image")
	}
	// A commit every 64 KiB: 17 of them, the last at the end.
	if len(progress) != 17 || progress[16] != int64(len(img)) {
		t.Errorf("progress %v", progress)
	}
	// Finish again after a restart (the updater died before recording it):
	// the journal resumes at the end and the read-back passes again.
	w, err = Open(cfg, target(img))
	if err != nil {
		t.Fatal(err)
	}
	if w.Offset() != int64(len(img)) {
		t.Fatalf("reopened at %d", w.Offset())
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	if err := Discard(j, journalName); err != nil {
		t.Fatal(err)
	}
	w, err = Open(cfg, target(img))
	if err != nil || w.Offset() != 0 {
		t.Fatalf("after Discard: %v at %d", err, w.Offset())
	}
}

func TestResumeAfterCut(t *testing.T) {
	img := random(2, 600<<10+77)
	for _, cut := range []int{0, 1, 4095, 64 << 10, 64<<10 + 1, 200 << 10, 333333, len(img) - 1, len(img)} {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			dev := newMemDev(1 << 20)
			j := newJournal(t)
			cfg := config(dev, 1<<20, j)
			w, err := Open(cfg, target(img))
			if err != nil {
				t.Fatal(err)
			}
			_, err = w.ReadFrom(&cutReader{b: img, n: cut})
			if cut < len(img) && !errors.Is(err, errCut) {
				t.Fatalf("cut body: %v", err)
			}
			// What came before the cut is kept: it is good data.
			if w.Offset() != int64(cut) {
				t.Fatalf("after the cut at %d, offset %d", cut, w.Offset())
			}
			// The process ends; a new one resumes from the journal, with
			// a Range request from Offset, and nothing is written twice.
			writes := dev.writes
			w, err = Open(cfg, target(img))
			if err != nil {
				t.Fatal(err)
			}
			if w.Offset() != int64(cut) || w.Resumed() != (cut > 0) {
				t.Fatalf("resumed at %d (resumed %v), want %d", w.Offset(), w.Resumed(), cut)
			}
			if _, err := w.ReadFrom(bytes.NewReader(img[w.Offset():])); err != nil {
				t.Fatal(err)
			}
			if err := w.Finish(); err != nil {
				t.Fatal(err)
			}
			if got := dev.writes - writes; got > (len(img)-cut)/(64<<10)+1 {
				t.Errorf("%d writes to finish %d bytes", got, len(img)-cut)
			}
			if !bytes.Equal(dev.synced[:len(img)], img) {
				t.Fatal("slot does not hold the image")
			}
		})
	}
}

func TestJournalOfOtherTargetOrSlot(t *testing.T) {
	img := random(3, 300<<10)
	other := random(4, 300<<10)
	dev := newMemDev(1 << 20)
	j := newJournal(t)
	cfg := config(dev, 1<<20, j)
	w, _ := Open(cfg, target(other))
	w.ReadFrom(&cutReader{b: other, n: 200 << 10})
	if w, _ := Open(cfg, target(img)); w.Offset() != 0 {
		t.Errorf("another target's journal resumed at %d", w.Offset())
	}
	w, _ = Open(cfg, target(img))
	w.ReadFrom(&cutReader{b: img, n: 200 << 10})
	cfg.Slot = "A"
	if w, _ := Open(cfg, target(img)); w.Offset() != 0 {
		t.Errorf("slot B's journal resumed on slot A at %d", w.Offset())
	}
	// A journal that does not parse starts again.
	if err := atomicfile.WriteFS(j, journalName, []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if w, err := Open(cfg, target(img)); err != nil || w.Offset() != 0 {
		t.Errorf("garbage journal: %v at %d", err, w.Offset())
	}
}

func TestRefusals(t *testing.T) {
	img := random(5, 100<<10)
	j := newJournal(t)
	if _, err := Open(config(newMemDev(1<<20), 100<<10-1, j), target(img)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("image larger than the slot: %v", err)
	}
	w, err := Open(config(newMemDev(1<<20), 1<<20, j), target(img))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ReadFrom(bytes.NewReader(append(img, 'x'))); !errors.Is(err, ErrTooLong) {
		t.Errorf("body longer than the target: %v", err)
	}
	w, _ = Open(config(newMemDev(1<<20), 1<<20, j), target(img))
	w.ReadFrom(bytes.NewReader(img[:50<<10]))
	if err := w.Finish(); !errors.Is(err, ErrIncomplete) {
		t.Errorf("Finish of half an image: %v", err)
	}
}

func TestWrongHashRefused(t *testing.T) {
	img := random(6, 300<<10)
	// The download is not the image the metadata names.
	bad := append([]byte{}, img...)
	bad[123456] ^= 1
	dev := newMemDev(1 << 20)
	j := newJournal(t)
	w, err := Open(config(dev, 1<<20, j), target(img))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ReadFrom(bytes.NewReader(bad)); err != nil {
		t.Fatal(err)
	}
	err = w.Finish()
	var ve *VerifyError
	if !errors.As(err, &ve) || !errors.Is(err, ErrVerify) || !ve.Streaming || ve.Got != sha256.Sum256(bad) {
		t.Fatalf("wrong download: %v", err)
	}
	if _, err := atomicfile.ReadFile(j, journalName); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("journal after a failed verify: %v", err)
	}
	if w.Offset() != 0 {
		t.Errorf("offset after a failed verify: %d", w.Offset())
	}

	// The download is right but the device keeps a wrong byte: only the
	// read-back sees it.
	dev = newMemDev(1 << 20)
	dev.flipAt = 200000
	w, _ = Open(config(dev, 1<<20, j), target(img))
	if _, err := w.ReadFrom(bytes.NewReader(img)); err != nil {
		t.Fatal(err)
	}
	err = w.Finish()
	if !errors.As(err, &ve) || ve.Streaming {
		t.Fatalf("bad medium: %v", err)
	}
	if w, _ := Open(config(dev, 1<<20, j), target(img)); w.Offset() != 0 {
		t.Errorf("resumed at %d after a failed read-back", w.Offset())
	}
}

// delta is a running image and a new one that differs in a few places,
// with their indexes and the plan.
type delta struct {
	old, new []byte
	plan     chunks.Plan
}

func makeDelta(t *testing.T) delta {
	t.Helper()
	old := random(10, 3<<20)
	n := append([]byte{}, old[:1<<20]...)
	n = append(n, random(11, 5000)...)
	n = append(n, old[1<<20:2<<20]...)
	n = append(n, old[2<<20+70000:]...)
	n = append(n, random(12, 100000)...)
	oi, err := chunks.Build(bytes.NewReader(old))
	if err != nil {
		t.Fatal(err)
	}
	ni, err := chunks.Build(bytes.NewReader(n))
	if err != nil {
		t.Fatal(err)
	}
	p := chunks.MakePlan(ni, oi, chunks.DefaultMergeGap)
	if p.LocalBytes < int64(len(n))/2 || len(p.Ranges) < 2 {
		t.Fatalf("plan keeps %d of %d bytes in %d ranges", p.LocalBytes, len(n), len(p.Ranges))
	}
	return delta{old: old, new: n, plan: p}
}

// server serves ranges of the new image and records what was asked.
type server struct {
	img     []byte
	asked   []chunks.Range
	corrupt int64 // a byte flipped in answers, -1 for none
	fail    int   // the n-th request fails (1-based), 0 never
	extra   bool  // answers with one byte more than asked
}

func (s *server) fetch(ctx context.Context, r chunks.Range) (io.ReadCloser, error) {
	s.asked = append(s.asked, r)
	if s.fail != 0 && len(s.asked) == s.fail {
		return nil, errors.New("503 Service Unavailable")
	}
	end := r.End()
	if s.extra {
		end++
	}
	b := append([]byte{}, s.img[r.Offset:end]...)
	if s.corrupt >= r.Offset && s.corrupt < end {
		b[s.corrupt-r.Offset] ^= 1
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// runningFile is the running slot as a read-only file, with its bytes
// and modification time to check it is never written.
func runningFile(t *testing.T, b []byte) (*os.File, func()) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "slot-a")
	if err := os.WriteFile(p, b, 0o444); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(p)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	return f, func() {
		t.Helper()
		f.Close()
		after, _ := os.Stat(p)
		got, _ := os.ReadFile(p)
		if !bytes.Equal(got, b) || !after.ModTime().Equal(before.ModTime()) {
			t.Error("the running slot was written")
		}
	}
}

func TestDelta(t *testing.T) {
	d := makeDelta(t)
	run, check := runningFile(t, d.old)
	defer check()
	dev := newMemDev(4 << 20)
	j := newJournal(t)
	w, err := Open(config(dev, 4<<20, j), target(d.new))
	if err != nil {
		t.Fatal(err)
	}
	srv := &server{img: d.new, corrupt: -1}
	if err := w.Delta(context.Background(), d.plan, run, srv.fetch); err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	var asked int64
	for _, r := range srv.asked {
		asked += r.Length
	}
	if asked != d.plan.FetchBytes || len(srv.asked) != len(d.plan.Ranges) {
		t.Errorf("fetched %d bytes in %d requests, plan says %d in %d", asked, len(srv.asked), d.plan.FetchBytes, len(d.plan.Ranges))
	}
	if !bytes.Equal(dev.synced[:len(d.new)], d.new) {
		t.Fatal("slot does not hold the new image")
	}
}

// TestDeltaFallsBack: every way a delta fails leaves good, durable bytes
// before Offset, a DeltaError, and a whole-image download from Offset
// that finishes the install.
func TestDeltaFallsBack(t *testing.T) {
	d := makeDelta(t)
	second := d.plan.Ranges[1]
	// A local chunk after the first fetched range.
	var local chunks.Step
	for _, s := range d.plan.Steps {
		if s.Local && s.Offset > second.Offset {
			local = s
			break
		}
	}
	cases := map[string]struct {
		srv       server
		badRun    int64 // a byte of the running slot flipped, -1 none
		plan      func(chunks.Plan) chunks.Plan
		wantStart int64 // the DeltaError's offset
	}{
		"corrupt fetched chunk": {srv: server{corrupt: second.Offset + 10}, badRun: -1, wantStart: second.Offset},
		"fetch fails":           {srv: server{corrupt: -1, fail: 2}, badRun: -1, wantStart: second.Offset},
		"range too long":        {srv: server{corrupt: -1, extra: true}, badRun: -1, wantStart: -2},
		"running slot corrupt":  {srv: server{corrupt: -1}, badRun: local.LocalOffset + 100, wantStart: local.Offset},
		"plan for another image": {srv: server{corrupt: -1}, badRun: -1, wantStart: 0,
			plan: func(p chunks.Plan) chunks.Plan { p.SHA256[0] ^= 1; return p }},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			old := append([]byte{}, d.old...)
			if c.badRun >= 0 {
				old[c.badRun] ^= 1
			}
			run, check := runningFile(t, old)
			defer check()
			dev := newMemDev(4 << 20)
			j := newJournal(t)
			cfg := config(dev, 4<<20, j)
			w, err := Open(cfg, target(d.new))
			if err != nil {
				t.Fatal(err)
			}
			srv := c.srv
			srv.img = d.new
			p := d.plan
			if c.plan != nil {
				p = c.plan(p)
			}
			err = w.Delta(context.Background(), p, run, srv.fetch)
			var de *DeltaError
			if !errors.As(err, &de) || !errors.Is(err, ErrDelta) {
				t.Fatalf("delta: %v, want a DeltaError", err)
			}
			if c.wantStart >= 0 && de.Offset != c.wantStart {
				t.Errorf("failed at %d, want %d: %v", de.Offset, c.wantStart, err)
			}
			if w.Offset() != de.Offset {
				t.Errorf("offset %d after a failure at %d", w.Offset(), de.Offset)
			}
			// What is before Offset is the new image's and durable: a new
			// process resumes there with the whole image.
			if !bytes.Equal(dev.synced[:w.Offset()], d.new[:w.Offset()]) {
				t.Fatal("bytes before the failure are not the new image's")
			}
			w, err = Open(cfg, target(d.new))
			if err != nil {
				t.Fatal(err)
			}
			if w.Offset() != de.Offset {
				t.Errorf("resumed at %d, the delta stopped at %d", w.Offset(), de.Offset)
			}
			if _, err := w.ReadFrom(bytes.NewReader(d.new[w.Offset():])); err != nil {
				t.Fatal(err)
			}
			if err := w.Finish(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestDeltaResumes(t *testing.T) {
	d := makeDelta(t)
	run, check := runningFile(t, d.old)
	defer check()
	dev := newMemDev(4 << 20)
	j := newJournal(t)
	cfg := config(dev, 4<<20, j)
	w, _ := Open(cfg, target(d.new))
	// The updater is cancelled (killed) during the delta.
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	fetch := func(c context.Context, r chunks.Range) (io.ReadCloser, error) {
		if calls++; calls == 2 {
			cancel()
			return nil, c.Err()
		}
		return (&server{img: d.new, corrupt: -1}).fetch(c, r)
	}
	err := w.Delta(ctx, d.plan, run, fetch)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrDelta) {
		t.Fatalf("cancelled delta: %v, want context.Canceled and no ErrDelta", err)
	}
	stopped := w.Offset()
	if stopped == 0 {
		t.Fatal("nothing kept before the cancel")
	}
	w, _ = Open(cfg, target(d.new))
	if w.Offset() != stopped {
		t.Fatalf("resumed at %d, stopped at %d", w.Offset(), stopped)
	}
	srv := &server{img: d.new, corrupt: -1}
	if err := w.Delta(context.Background(), d.plan, run, srv.fetch); err != nil {
		t.Fatal(err)
	}
	if srv.asked[0].Offset != d.plan.Ranges[1].Offset {
		t.Errorf("resumed delta asked %v first, want the second range", srv.asked[0])
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
}

// TestPowerCut cuts the power at every step of an install (each journal
// file operation, each device write and sync), with every model of what
// survives, then boots again and resumes: the install always finishes with
// the verified image, and resumes after the start once something was
// committed.
func TestPowerCut(t *testing.T) {
	img := random(20, 400<<10+999)
	const size = 1 << 20
	install := func(dev *memDev, j atomicfile.FS) error {
		w, err := Open(config(dev, size, j), target(img))
		if err != nil {
			return err
		}
		if _, err := w.ReadFrom(bytes.NewReader(img[w.Offset():])); err != nil {
			return err
		}
		return w.Finish()
	}
	newFS := func() *crashfs.FS {
		m := crashfs.New()
		if err := m.MkdirAll("updates", 0o700); err != nil {
			t.Fatal(err)
		}
		m.Ops, m.Log = 0, nil
		return m
	}
	// One clean run counts the steps.
	m, dev := newFS(), newMemDev(size)
	if err := install(dev, m); err != nil {
		t.Fatal(err)
	}
	fsSteps, devSteps := m.Ops, dev.ops
	runs, resumed := 0, 0
	for _, where := range []string{"journal", "device"} {
		steps := fsSteps
		if where == "device" {
			steps = devSteps
		}
		for n := 1; n <= steps; n++ {
			for _, v := range crashfs.Variants {
				for _, c := range []devCut{devLost, devKept, devGarbage} {
					m, dev := newFS(), newMemDev(size)
					if where == "journal" {
						m.FailAt = n
					} else {
						dev.failAt = n
					}
					if err := install(dev, m); err == nil {
						t.Fatalf("%s step %d: no error from a cut install", where, n)
					}
					m2, dev2 := m.AfterPowerCut(v), dev.afterPowerCut(c)
					w, err := Open(config(dev2, size, m2), target(img))
					if err != nil {
						t.Fatalf("%s step %d %+v %d: open after the cut: %v", where, n, v, c, err)
					}
					if w.Offset() > 0 {
						resumed++
					}
					if _, err := w.ReadFrom(bytes.NewReader(img[w.Offset():])); err != nil {
						t.Fatal(err)
					}
					if err := w.Finish(); err != nil {
						t.Fatalf("%s step %d %+v %d: resumed at %d: %v", where, n, v, c, w.Offset(), err)
					}
					if !bytes.Equal(dev2.live[:len(img)], img) {
						t.Fatalf("%s step %d: slot does not hold the image", where, n)
					}
					runs++
				}
			}
		}
	}
	// Most cuts come after a commit: a resume that always restarted from
	// 0 would pass the checks above but defeat the journal.
	if resumed < runs/2 {
		t.Errorf("only %d of %d cut installs resumed after byte 0", resumed, runs)
	}
	t.Logf("%d power cuts (%d journal steps, %d device steps), %d resumed mid-image", runs, fsSteps, devSteps, resumed)
}

func TestOpenDevices(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, p := range []string{a, b} {
		if err := os.WriteFile(p, make([]byte, 1<<20), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	d, err := OpenDevices(b, a)
	if err != nil {
		t.Fatal(err)
	}
	if d.IdleSize != 1<<20 || d.RunningSize != 1<<20 {
		t.Errorf("sizes %d %d", d.IdleSize, d.RunningSize)
	}
	if _, err := d.Running.WriteAt([]byte{1}, 0); err == nil {
		t.Error("the running slot is writable through Devices")
	}
	d.Close()
	link := filepath.Join(dir, "by-label")
	if err := os.Symlink(a, link); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hard")
	if err := os.Link(a, hard); err != nil {
		t.Fatal(err)
	}
	for _, idle := range []string{a, link, hard} {
		if _, err := OpenDevices(idle, a); !errors.Is(err, ErrSameDevice) {
			t.Errorf("idle %s, running %s: %v", idle, a, err)
		}
	}
	if _, err := OpenDevices(b, "/dev/null"); err == nil {
		t.Error("a character device taken for a slot")
	}
}
