// Package slotwriter writes a new rootfs image into the idle A/B slot: a
// whole image streamed from a download, or a delta assembled from chunks
// of the running slot and fetched byte ranges (package chunks). It hashes
// as it writes, keeps a resume journal on the data partition so an
// interrupted install continues where it stopped (an HTTP Range request
// from Offset), and gives its verdict only after reading the partition
// back: the streaming hash says what was sent to the device, the read-back
// what the device holds.
//
// Durability: bytes count as written once the device has been fsynced and
// the journal (written with base/atomicfile) says so; the journal is
// written after the fsync, so after a power cut it never claims more than
// the device holds. It records the target (length, sha256), the slot, the
// durable offset and the SHA-256 state over the bytes before it
// (crypto/sha256's encoding.BinaryMarshaler), so a resume does not read
// the written part again.
//
// Each stage is a call (Open, Write/ReadFrom or Delta, Commit, Finish), so
// the updater can record its own phase between them and a test can kill it
// between any two.
//
// The running slot is only ever read: Delta takes it as an io.ReaderAt, and
// OpenDevices refuses an idle path that is the running slot's device.
package slotwriter

import (
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"

	"picket.dev/picket/src/base/atomicfile"
	"picket.dev/picket/src/update/chunks"
)

// Device is the idle slot: a partition's block device on the box, a plain
// file in tests. *os.File satisfies it.
type Device interface {
	io.ReaderAt
	io.WriterAt
	// Sync is fsync(2): written bytes are on the medium when it returns.
	Sync() error
}

// Target is the image to write, as the signed TUF metadata gives it.
type Target struct {
	Length int64
	SHA256 [sha256.Size]byte
}

// Config says where to write and where to keep the journal.
type Config struct {
	// Idle is the slot written; IdleSize its size in bytes (the
	// partition's, from OpenDevices). An image larger is refused.
	Idle     Device
	IdleSize int64
	// Slot names the idle slot ("A" or "B"). A journal of another slot is
	// not resumed: its bytes are not on this device.
	Slot string
	// Journal is the data partition (atomicfile.Dir("/data") on the box)
	// and JournalName the journal's name in it ("updates/slot.journal");
	// its directory must exist.
	Journal     atomicfile.FS
	JournalName string
	// CommitEvery is how many bytes are written between two commits
	// (fsync and journal) during Write, ReadFrom and Delta; 0 means
	// DefaultCommitEvery. It bounds what a power cut costs against the
	// time fsyncs take.
	CommitEvery int64
	// Progress, when set, is called after each commit with the durable
	// byte count and the image's length.
	Progress func(durable, total int64)
}

// DefaultCommitEvery is the commit interval when Config.CommitEvery is 0.
const DefaultCommitEvery = 16 << 20

// Errors callers tell apart with errors.Is.
var (
	// ErrTooLarge: the image does not fit the idle slot.
	ErrTooLarge = errors.New("image larger than the slot")
	// ErrTooLong: more bytes were offered than the target's length.
	ErrTooLong = errors.New("more bytes than the target's length")
	// ErrIncomplete: Finish before the last byte was written.
	ErrIncomplete = errors.New("image incomplete")
	// ErrVerify: the slot read back does not hold the target (length and
	// sha256). The journal is dropped: the next Open starts from 0.
	ErrVerify = errors.New("slot does not hold the target image")
	// ErrDelta: a delta install could not go on (a chunk with the wrong
	// hash, a failed fetch or read of the running slot, a plan for another
	// image). The bytes written before it are verified chunks of the
	// target and durable: the caller falls back to the whole image with a
	// Range request from Offset.
	ErrDelta = errors.New("delta install failed")
	// ErrSameDevice: the idle slot's path is the running slot's device.
	ErrSameDevice = errors.New("idle slot is the running slot's device")
)

// DeltaError is the error Delta returns when the delta cannot go on; it
// matches ErrDelta.
type DeltaError struct {
	// Offset is the new image's offset of the chunk that failed.
	Offset int64
	Err    error
}

func (e *DeltaError) Error() string {
	return fmt.Sprintf("delta install at byte %d: %v", e.Offset, e.Err)
}

func (e *DeltaError) Unwrap() []error { return []error{ErrDelta, e.Err} }

// VerifyError is the error Finish returns when the slot read back is not
// the target; it matches ErrVerify.
type VerifyError struct {
	Want, Got [sha256.Size]byte
	Length    int64
	// Streaming says the bytes sent to the device already hashed wrong
	// (so the download, not the device, was at fault).
	Streaming bool
}

func (e *VerifyError) Error() string {
	what := "read back"
	if e.Streaming {
		what = "as written"
	}
	return fmt.Sprintf("slot's first %d bytes %s have sha256 %x, the target %x", e.Length, what, e.Got, e.Want)
}

func (e *VerifyError) Unwrap() error { return ErrVerify }

// Writer writes one target into the idle slot, sequentially from Offset.
// It is not safe for concurrent use.
type Writer struct {
	cfg     Config
	t       Target
	h       hash.Hash
	pos     int64  // next byte to write
	durable int64  // bytes fsynced and journaled
	state   []byte // h's state at durable
	buf     []byte
}

// journal is the resume journal's JSON.
type journal struct {
	Slot      string `json:"slot"`
	Length    int64  `json:"length"`
	SHA256    string `json:"sha256"`
	Durable   int64  `json:"durable"`
	HashState string `json:"hash_state"`
}

// Open starts writing t into the idle slot, or resumes: when the journal
// names the same target and slot, writing continues at its durable offset
// with the hash state it saved. Otherwise (no journal, another target, a
// journal that does not parse) it starts at 0 and writes a new journal
// first. The Writer's Resumed says which.
func Open(cfg Config, t Target) (*Writer, error) {
	if t.Length <= 0 {
		return nil, fmt.Errorf("slot image: length %d", t.Length)
	}
	if t.Length > cfg.IdleSize {
		return nil, fmt.Errorf("slot image of %d bytes, slot %s has %d: %w", t.Length, cfg.Slot, cfg.IdleSize, ErrTooLarge)
	}
	if cfg.CommitEvery <= 0 {
		cfg.CommitEvery = DefaultCommitEvery
	}
	w := &Writer{cfg: cfg, t: t, h: sha256.New()}
	if j, ok := w.readJournal(); ok {
		if err := w.h.(encoding.BinaryUnmarshaler).UnmarshalBinary(j); err == nil {
			return w, nil
		}
		w.pos, w.durable = 0, 0
		w.h.Reset()
	}
	if err := w.writeJournal(); err != nil {
		return nil, err
	}
	return w, nil
}

// readJournal returns the saved hash state and sets pos and durable when
// the journal is this target's and slot's.
func (w *Writer) readJournal() ([]byte, bool) {
	b, err := atomicfile.ReadFile(w.cfg.Journal, w.cfg.JournalName)
	if err != nil {
		return nil, false
	}
	var j journal
	if json.Unmarshal(b, &j) != nil {
		return nil, false
	}
	state, err := base64.StdEncoding.DecodeString(j.HashState)
	if err != nil || j.Slot != w.cfg.Slot || j.Length != w.t.Length ||
		j.SHA256 != hex.EncodeToString(w.t.SHA256[:]) || j.Durable < 0 || j.Durable > w.t.Length {
		return nil, false
	}
	w.pos, w.durable, w.state = j.Durable, j.Durable, state
	return state, true
}

func (w *Writer) writeJournal() error {
	state, err := w.h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return fmt.Errorf("slot journal: %w", err)
	}
	b, err := json.Marshal(journal{
		Slot:      w.cfg.Slot,
		Length:    w.t.Length,
		SHA256:    hex.EncodeToString(w.t.SHA256[:]),
		Durable:   w.pos,
		HashState: base64.StdEncoding.EncodeToString(state),
	})
	if err != nil {
		return fmt.Errorf("slot journal: %w", err)
	}
	if err := atomicfile.WriteFS(w.cfg.Journal, w.cfg.JournalName, b, 0o600); err != nil {
		return fmt.Errorf("slot journal: %w", err)
	}
	w.durable, w.state = w.pos, state
	return nil
}

// Offset is the next byte of the image to write: where a download resumes
// (an HTTP Range request "bytes=Offset-"). After Open and after any
// method returns, Offset is durable.
func (w *Writer) Offset() int64 { return w.pos }

// Resumed says whether Open continued an earlier install (Offset > 0).
func (w *Writer) Resumed() bool { return w.durable > 0 }

// Target is the image being written.
func (w *Writer) Target() Target { return w.t }

// Write writes p at Offset and hashes it; it commits every CommitEvery
// bytes. More bytes than the target's length are refused (ErrTooLong)
// and none of p is written then. On an error, the uncommitted bytes are
// given up: Offset goes back to the last durable one.
func (w *Writer) Write(p []byte) (int, error) {
	if int64(len(p)) > w.t.Length-w.pos {
		return 0, fmt.Errorf("write %d bytes at %d of a %d-byte image: %w", len(p), w.pos, w.t.Length, ErrTooLong)
	}
	// Hashing and writing read p at the same time: an install takes as
	// long as the slower of the two, not their sum.
	hashed := make(chan struct{})
	go func() {
		w.h.Write(p)
		close(hashed)
	}()
	_, err := w.cfg.Idle.WriteAt(p, w.pos)
	<-hashed
	if err != nil {
		w.rewind()
		return 0, fmt.Errorf("write slot %s at %d: %w", w.cfg.Slot, w.pos, err)
	}
	startWriteback(w.cfg.Idle, w.pos, int64(len(p)))
	w.pos += int64(len(p))
	if w.pos-w.durable >= w.cfg.CommitEvery {
		if err := w.Commit(); err != nil {
			return len(p), err
		}
	}
	return len(p), nil
}

// rewind gives up the bytes written since the last commit.
func (w *Writer) rewind() {
	w.pos = w.durable
	w.h.Reset()
	// The state was produced by this hash type; it cannot fail to load.
	_ = w.h.(encoding.BinaryUnmarshaler).UnmarshalBinary(w.state)
}

// Commit makes the bytes written so far durable: the device is fsynced,
// then the journal records the offset and the hash state. A power cut
// after Commit resumes at Offset.
func (w *Writer) Commit() error {
	if w.pos == w.durable {
		return nil
	}
	if err := w.cfg.Idle.Sync(); err != nil {
		w.rewind()
		return fmt.Errorf("sync slot %s: %w", w.cfg.Slot, err)
	}
	if err := w.writeJournal(); err != nil {
		w.rewind()
		return err
	}
	if w.cfg.Progress != nil {
		w.cfg.Progress(w.durable, w.t.Length)
	}
	return nil
}

// ReadFrom writes what r yields at Offset (the body of a download from
// Offset) until r ends, committing every CommitEvery bytes and at the end.
// It does not need r to reach the image's end: an interrupted body is
// followed by another from the new Offset. A body that runs past the
// image's length is refused (ErrTooLong) before the excess is written.
// When r fails, what was written before is committed (it is good data)
// and r's error returned.
func (w *Writer) ReadFrom(r io.Reader) (int64, error) {
	if w.buf == nil {
		// Bodies are read in pieces of at most the commit interval, so
		// a commit comes every CommitEvery bytes.
		w.buf = make([]byte, min(1<<20, w.cfg.CommitEvery))
	}
	start := w.pos
	for {
		n, rerr := io.ReadFull(r, w.buf)
		if n > 0 {
			if _, err := w.Write(w.buf[:n]); err != nil {
				return w.pos - start, err
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			return w.pos - start, w.Commit()
		}
		if rerr != nil {
			if err := w.Commit(); err != nil {
				return w.pos - start, errors.Join(fmt.Errorf("slot image body: %w", rerr), err)
			}
			return w.pos - start, fmt.Errorf("slot image body: %w", rerr)
		}
	}
}

// Finish checks the written slot after the last byte: the streaming hash
// first, then the partition read back from the medium (its page cache
// dropped first where the device allows it), length and sha256 against
// the target. Only a nil return means the slot holds the image. A
// mismatch (VerifyError, matching ErrVerify) drops the journal, so the
// next Open starts again from 0.
func (w *Writer) Finish() error {
	if w.pos != w.t.Length {
		return fmt.Errorf("slot %s: %d of %d bytes written: %w", w.cfg.Slot, w.pos, w.t.Length, ErrIncomplete)
	}
	if err := w.Commit(); err != nil {
		return err
	}
	var got [sha256.Size]byte
	w.h.Sum(got[:0])
	var verr error
	if got != w.t.SHA256 {
		verr = &VerifyError{Want: w.t.SHA256, Got: got, Length: w.t.Length, Streaming: true}
	} else {
		verr = Verify(w.cfg.Idle, w.t)
	}
	if verr != nil {
		if err := Discard(w.cfg.Journal, w.cfg.JournalName); err != nil {
			return errors.Join(verr, err)
		}
		w.pos, w.durable = 0, 0
		w.h.Reset()
		w.state, _ = w.h.(encoding.BinaryMarshaler).MarshalBinary()
		return verr
	}
	return nil
}

// Verify reads the first t.Length bytes of dev back and checks their
// sha256 against t's. The device's page cache for those bytes is dropped
// first when dev is a file (it has an Fd), so the bytes come from the
// medium.
func Verify(dev io.ReaderAt, t Target) error {
	dropCache(dev, t.Length)
	h := sha256.New()
	n, err := io.Copy(h, io.NewSectionReader(dev, 0, t.Length))
	if err != nil {
		return fmt.Errorf("read slot back: %w", err)
	}
	if n != t.Length {
		return fmt.Errorf("read slot back: %d of %d bytes: %w", n, t.Length, ErrVerify)
	}
	var got [sha256.Size]byte
	h.Sum(got[:0])
	if got != t.SHA256 {
		return &VerifyError{Want: t.SHA256, Got: got, Length: t.Length}
	}
	return nil
}

// Discard removes the journal (the install is done, recorded by the
// updater, or given up); a missing journal is fine.
func Discard(fsys atomicfile.FS, name string) error {
	if err := atomicfile.Remove(fsys, name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("slot journal: %w", err)
	}
	return nil
}

// Fetch opens a byte range of the new image (an HTTP Range request,
// answered 206 with that Content-Range): the reader must yield exactly
// r.Length bytes.
type Fetch func(ctx context.Context, r chunks.Range) (io.ReadCloser, error)

// ctxErr wraps a cancelled context so that callers do not take it for a
// delta failure to fall back from.
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("slot install: %w", err)
	}
	return nil
}
