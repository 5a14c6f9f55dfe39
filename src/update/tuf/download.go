package tuf

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"picket.dev/picket/src/base/clock"
)

// Limits bound every download against slow retrieval: a server (or a
// proxy, or an attacker between them) that trickles bytes, or sends none
// after the headers, fails within a bounded time instead of holding the
// updater for ever.
type Limits struct {
	// MetadataTimeout is the deadline of one metadata file, from the
	// request to the last byte (default 2 minutes).
	MetadataTimeout time.Duration
	// FetchTimeout is the deadline of one Fetch of a target or a range of
	// one (default 1 hour; an interrupted image download resumes with
	// Range, so this bounds one attempt, not the update).
	FetchTimeout time.Duration
	// Window and MinRate are the stall guard: in every Window from the
	// request on, at least MinRate*Window bytes must arrive, headers
	// included in the first (defaults 30 s and 4096 bytes/s). A download
	// that ends within a window is not held to it.
	Window  time.Duration
	MinRate int64
}

func (l Limits) withDefaults() Limits {
	if l.MetadataTimeout <= 0 {
		l.MetadataTimeout = 2 * time.Minute
	}
	if l.FetchTimeout <= 0 {
		l.FetchTimeout = time.Hour
	}
	if l.Window <= 0 {
		l.Window = 30 * time.Second
	}
	if l.MinRate <= 0 {
		l.MinRate = 4096
	}
	return l
}

// Errors of downloads, wrapped with the URL.
var (
	// ErrStalled: fewer than Limits.MinRate*Window bytes arrived in a
	// window.
	ErrStalled = errors.New("download stalled: below the minimum rate")
	// ErrDeadline: the download's deadline passed.
	ErrDeadline = errors.New("download deadline passed")
	// ErrTooLong: the server sent (or announced) more bytes than the cap.
	ErrTooLong = errors.New("more bytes than the length cap")
	// ErrTooShort: the body ended before the expected length.
	ErrTooShort = errors.New("fewer bytes than the expected length")
	// ErrRangeIgnored: a range was asked for and the server answered
	// with something else (a whole file, another range); the caller
	// starts over from offset 0 or fetches the whole file.
	ErrRangeIgnored = errors.New("server did not answer the byte range asked for")
)

// Downloader makes the update client's requests through one *http.Client
// (the management path), each under a deadline and the stall guard. It
// keeps no state between requests and is safe for concurrent use.
type Downloader struct {
	HTTP   *http.Client
	Clock  clock.Clock // nil: the system clock
	Limits Limits      // zero fields: defaults
}

// BlockSize is the unit Fetch writes in: bytes reach the writer in whole
// blocks (the last one at the end may be shorter), so a download that
// stalls or is cut leaves at most the last whole block written and none of
// a partial one, and the slot writer gets large aligned writes.
const BlockSize = 1 << 20

// Fetch requests length bytes of url from offset on and writes them to w
// in BlockSize blocks; it returns how many bytes it wrote. It always asks
// with HTTP Range ("bytes=offset-(offset+length-1)") and takes a 206 answer
// of exactly that range; a 200 answer (a server or proxy that ignores
// Range) only for offset 0, and then the body must be exactly length bytes.
// Another range, or a 200 for offset > 0, is ErrRangeIgnored. More bytes
// than length is ErrTooLong, fewer ErrTooShort. The request runs under
// Limits.FetchTimeout and the stall guard.
//
// Fetch does not hash: the caller hashes what it writes, and the bytes are
// untrusted until their SHA-256 equals the target's (Info.SHA256). To
// resume, call again with offset advanced by the count returned. For a
// whole target: Fetch(ctx, c.TargetURL(info), 0, info.Length, w), resumed
// with Fetch(ctx, url, done, info.Length-done, w).
func (d *Downloader) Fetch(ctx context.Context, url string, offset, length int64, w io.Writer) (int64, error) {
	if offset < 0 || length < 0 {
		return 0, fmt.Errorf("fetch %s: offset %d, length %d: negative", url, offset, length)
	}
	if length == 0 {
		return 0, nil
	}
	l := d.Limits.withDefaults()
	ctx, count, stop := d.watch(ctx, l, l.FetchTimeout)
	defer stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, fmt.Errorf("fetch %s: %w", url, err)
	}
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", offset, offset+length-1))
	resp, err := d.HTTP.Do(req)
	if err != nil {
		return 0, fmt.Errorf("fetch %s: %w", url, d.cause(ctx, err, l))
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusPartialContent:
		want := fmt.Sprintf("bytes %d-%d/", offset, offset+length-1)
		if cr := resp.Header.Get("Content-Range"); len(cr) <= len(want) || cr[:len(want)] != want {
			return 0, fmt.Errorf("fetch %s: asked %sN, got Content-Range %q: %w", url, want, cr, ErrRangeIgnored)
		}
	case http.StatusOK:
		if offset != 0 {
			return 0, fmt.Errorf("fetch %s: asked for bytes from %d, got the whole file (200): %w", url, offset, ErrRangeIgnored)
		}
	default:
		return 0, fmt.Errorf("fetch %s: %w", url, &metadata.ErrDownloadHTTP{StatusCode: resp.StatusCode, URL: url})
	}
	if resp.ContentLength > length {
		return 0, fmt.Errorf("fetch %s: announced %d bytes, the cap is %d: %w", url, resp.ContentLength, length, ErrTooLong)
	}
	body := &countingReader{r: resp.Body, n: count}
	buf := make([]byte, min(length, BlockSize))
	var written int64
	for written < length {
		b := buf[:min(int64(len(buf)), length-written)]
		n, err := io.ReadFull(body, b)
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return written, fmt.Errorf("fetch %s: body ended after %d of %d bytes: %w", url, written+int64(n), length, ErrTooShort)
			}
			return written, fmt.Errorf("fetch %s: after %d bytes: %w", url, written+int64(n), d.cause(ctx, err, l))
		}
		if _, err := w.Write(b[:n]); err != nil {
			return written, fmt.Errorf("fetch %s: write at %d: %w", url, offset+written, err)
		}
		written += int64(n)
	}
	// Endless data: one byte more than asked is an error, though what was
	// asked is written (the caller's hash decides).
	var one [1]byte
	if n, _ := io.ReadFull(body, one[:]); n > 0 {
		return written, fmt.Errorf("fetch %s: more than the %d bytes asked for: %w", url, length, ErrTooLong)
	}
	return written, nil
}

// watch starts the deadline and the stall guard of one request: the
// context it returns is cancelled with ErrDeadline or ErrStalled as cause;
// count is what the body reader adds to. stop ends the guard.
func (d *Downloader) watch(parent context.Context, l Limits, timeout time.Duration) (ctx context.Context, count *atomic.Int64, stop func()) {
	clk := d.Clock
	if clk == nil {
		clk = clock.System{}
	}
	ctx, cancel := context.WithCancelCause(parent)
	count = new(atomic.Int64)
	done := make(chan struct{})
	need := int64(float64(l.MinRate) * l.Window.Seconds())
	go func() {
		deadline := clk.NewTimer(timeout)
		defer deadline.Stop()
		tick := clk.NewTicker(l.Window)
		defer tick.Stop()
		var last int64
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-deadline.C():
				cancel(ErrDeadline)
				return
			case <-tick.C():
				cur := count.Load()
				if cur-last < need {
					cancel(ErrStalled)
					return
				}
				last = cur
			}
		}
	}()
	return ctx, count, func() {
		close(done)
		cancel(nil)
	}
}

// cause names why a request failed: the guard's reason, with the limits,
// rather than "context canceled".
func (d *Downloader) cause(ctx context.Context, err error, l Limits) error {
	switch c := context.Cause(ctx); {
	case errors.Is(c, ErrStalled):
		return fmt.Errorf("fewer than %d bytes/s over %v: %w", l.MinRate, l.Window, ErrStalled)
	case errors.Is(c, ErrDeadline):
		return c
	}
	return err
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// fetcher is go-tuf's fetcher.Fetcher on a Downloader, for one Refresh
// (go-tuf's interface has no context: the Refresh's is kept here).
type fetcher struct {
	ctx context.Context
	dl  *Downloader
}

// DownloadFile implements fetcher.Fetcher: GET urlPath, at most maxLength
// bytes (the LimitReader reads one more to tell "exactly the cap" from
// "more"), under Limits.MetadataTimeout and the stall guard. An HTTP
// status other than 200 is metadata.ErrDownloadHTTP (go-tuf's root
// rotation stops at a 404).
func (f *fetcher) DownloadFile(urlPath string, maxLength int64, _ time.Duration) ([]byte, error) {
	l := f.dl.Limits.withDefaults()
	ctx, count, stop := f.dl.watch(f.ctx, l, l.MetadataTimeout)
	defer stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, urlPath, nil)
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", urlPath, err)
	}
	resp, err := f.dl.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", urlPath, f.dl.cause(ctx, err, l))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &metadata.ErrDownloadHTTP{StatusCode: resp.StatusCode, URL: urlPath}
	}
	if resp.ContentLength > maxLength {
		return nil, fmt.Errorf("download %s: announced %d bytes, the cap is %d: %w", urlPath, resp.ContentLength, maxLength, ErrTooLong)
	}
	data, err := io.ReadAll(io.LimitReader(&countingReader{r: resp.Body, n: count}, maxLength+1))
	if err != nil {
		return nil, fmt.Errorf("download %s: after %d bytes: %w", urlPath, len(data), f.dl.cause(ctx, err, l))
	}
	if int64(len(data)) > maxLength {
		return nil, fmt.Errorf("download %s: more than the cap of %d bytes: %w", urlPath, maxLength, ErrTooLong)
	}
	return data, nil
}

// ErrHashMismatch: a target's bytes are not the ones its signed metadata
// names.
var ErrHashMismatch = errors.New("target bytes do not match the signed SHA-256")

// ReadTarget fetches a small target whole into memory (a manifest, a chunk
// index, a signature package; not an image: stream those with Fetch) and
// returns its bytes once their length and SHA-256 are the signed ones.
func (c *Client) ReadTarget(ctx context.Context, info Info) ([]byte, error) {
	if info.Length > MaxSignatures {
		return nil, fmt.Errorf("read target %s: %d bytes: stream it with Fetch", info.Path, info.Length)
	}
	var buf bytes.Buffer
	buf.Grow(int(info.Length))
	if _, err := c.dl.Fetch(ctx, c.TargetURL(info), 0, info.Length, &buf); err != nil {
		return nil, fmt.Errorf("read target %s: %w", info.Path, err)
	}
	if sha256.Sum256(buf.Bytes()) != info.SHA256 {
		return nil, fmt.Errorf("read target %s: %w", info.Path, ErrHashMismatch)
	}
	return buf.Bytes(), nil
}
