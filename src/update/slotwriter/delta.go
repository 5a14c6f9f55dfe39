package slotwriter

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"picket.dev/picket/src/update/chunks"
)

// Delta assembles the target from plan p (chunks.MakePlan of the target's
// chunk index against the running slot's): a local chunk is read from
// running (the running slot's device, opened read-only) at its offset
// there, a fetched one from fetch's reader for the range holding it. Each
// chunk's sha256 is checked before it is written, so every byte written
// is the target's. It starts at Offset (a resumed install skips what is
// durable; Offset must be a chunk boundary) and commits every CommitEvery
// bytes at chunk boundaries.
//
// A failure the whole image can get past (a chunk with the wrong hash, a
// fetch or a read of the running slot that fails, a plan for another
// image) returns a *DeltaError (ErrDelta) after committing the good
// chunks before it: the caller continues with the whole image from
// Offset. A failure to write the idle slot or a cancelled ctx returns
// another error. Finish still gives the verdict.
func (w *Writer) Delta(ctx context.Context, p chunks.Plan, running io.ReaderAt, fetch Fetch) error {
	if p.Length != w.t.Length || p.SHA256 != w.t.SHA256 {
		return &DeltaError{Offset: 0, Err: fmt.Errorf("plan is for an image of %d bytes, sha256 %x, not the target", p.Length, p.SHA256)}
	}
	first := -1
	var covered int64
	for i, s := range p.Steps {
		if s.Offset != covered {
			return &DeltaError{Offset: s.Offset, Err: errors.New("plan's chunks do not cover the image in order")}
		}
		covered += s.Length
		if s.Offset == w.pos {
			first = i
		}
	}
	if covered != p.Length {
		return &DeltaError{Offset: covered, Err: errors.New("plan's chunks do not cover the image")}
	}
	if w.pos == p.Length {
		return nil
	}
	if first < 0 {
		return &DeltaError{Offset: w.pos, Err: errors.New("resume point is inside a chunk")}
	}
	buf := make([]byte, chunks.MaxSize)
	var body io.ReadCloser
	var bodyEnd int64 // first byte after the open range
	closeBody := func() {
		if body != nil {
			body.Close()
			body = nil
		}
	}
	defer closeBody()
	// fail commits the good chunks written so far and reports the failure.
	fail := func(derr error) error {
		if err := w.Commit(); err != nil {
			return errors.Join(derr, err)
		}
		return derr
	}
	for _, s := range p.Steps[first:] {
		if err := ctxErr(ctx); err != nil {
			return fail(err)
		}
		b := buf[:s.Length]
		if s.Local {
			if _, err := running.ReadAt(b, s.LocalOffset); err != nil {
				return fail(&DeltaError{Offset: s.Offset, Err: fmt.Errorf("read running slot at %d: %w", s.LocalOffset, err)})
			}
		} else {
			if body == nil {
				r, ok := rangeAt(p.Ranges, s.Offset)
				if !ok || r.End() < s.Offset+s.Length {
					return fail(&DeltaError{Offset: s.Offset, Err: errors.New("plan fetches a chunk outside its ranges")})
				}
				// A resumed delta may start inside a range: ask for its rest.
				r = chunks.Range{Offset: s.Offset, Length: r.End() - s.Offset}
				rc, err := fetch(ctx, r)
				if err != nil {
					if cerr := ctxErr(ctx); cerr != nil {
						return fail(cerr)
					}
					return fail(&DeltaError{Offset: s.Offset, Err: fmt.Errorf("fetch bytes %d-%d: %w", r.Offset, r.End()-1, err)})
				}
				body, bodyEnd = rc, r.End()
			}
			if _, err := io.ReadFull(body, b); err != nil {
				if cerr := ctxErr(ctx); cerr != nil {
					return fail(cerr)
				}
				return fail(&DeltaError{Offset: s.Offset, Err: fmt.Errorf("read fetched range: %w", err)})
			}
			if s.Offset+s.Length == bodyEnd {
				// The range must end here: a server that ignored the
				// Range header and sent more is not trusted further.
				var one [1]byte
				if n, _ := io.ReadFull(body, one[:]); n != 0 {
					return fail(&DeltaError{Offset: s.Offset, Err: errors.New("fetched range is longer than asked")})
				}
				closeBody()
			}
		}
		if sha256.Sum256(b) != s.SHA256 {
			where := "fetched"
			if s.Local {
				where = fmt.Sprintf("running slot's at %d", s.LocalOffset)
			}
			return fail(&DeltaError{Offset: s.Offset, Err: fmt.Errorf("%s chunk of %d bytes has the wrong sha256", where, s.Length)})
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return w.Commit()
}

// rangeAt returns the range holding offset off.
func rangeAt(rs []chunks.Range, off int64) (chunks.Range, bool) {
	for _, r := range rs {
		if r.Offset <= off && off < r.End() {
			return r, true
		}
	}
	return chunks.Range{}, false
}
