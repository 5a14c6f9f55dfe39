package releases

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/ratelimit"
)

// Defaults of Repo's per-address rate limit. The repository is
// unauthenticated (TUF secures the content), so requests are limited per
// client address; many boxes may share one (a customer's proxy), and a
// delta download is many Range requests, hence the generous bucket.
const (
	DefaultBurst = 600
	DefaultEvery = 20 * time.Millisecond
)

// MinRate is the slowest a target download may go before the server gives
// up on it: each answer's write deadline leaves this rate for its length
// (the listener's own write timeout would cut an image download short).
const MinRate = 32 << 10 // bytes per second

// Repo is the repository directory platformd serves, with its catalog
// read again whenever the metadata changes.
type Repo struct {
	Dir string
	Now func() time.Time
	Log *slog.Logger
	// Burst and Every are each client address's token bucket.
	Burst int
	Every time.Duration

	buckets ratelimit.Buckets
	mu      sync.Mutex
	stamp   stamp   // of the metadata the catalog was read from
	cat     Catalog // the last catalog read without error
	loaded  bool
	err     error // the last load's error (the catalog is then the last good one)
}

// New returns the Repo of dir with the default rate limit.
func New(dir string, now func() time.Time, log *slog.Logger) *Repo {
	return &Repo{Dir: dir, Now: now, Log: log, Burst: DefaultBurst, Every: DefaultEvery}
}

// stamp identifies a state of the metadata directory cheaply: the
// directory's and timestamp.json's modification times, sizes and inodes
// (a publisher replaces timestamp.json by a rename: a new inode).
type stamp struct {
	dirMod, tsMod time.Time
	tsSize        int64
	tsIno         uint64
	tsExists      bool
}

func statStamp(meta string) (stamp, error) {
	var s stamp
	di, err := os.Stat(meta)
	if err != nil {
		return s, fmt.Errorf("update repository: %w", err)
	}
	s.dirMod = di.ModTime()
	if fi, err := os.Stat(filepath.Join(meta, "timestamp.json")); err == nil {
		s.tsMod, s.tsSize, s.tsExists = fi.ModTime(), fi.Size(), true
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			s.tsIno = st.Ino
		}
	}
	return s, nil
}

// Catalog returns the repository's current catalog, reading the metadata
// again when it changed since the last call (a stat of the directory and
// of timestamp.json each call). When the metadata cannot be read, it
// returns the last catalog read and the error.
func (r *Repo) Catalog() (Catalog, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	meta := filepath.Join(r.Dir, MetadataDir)
	st, err := statStamp(meta)
	if err != nil {
		r.err = err
		return r.cat, err
	}
	if r.loaded && st == r.stamp {
		return r.cat, r.err
	}
	r.loaded, r.stamp = true, st
	c, err := Load(r.Dir)
	if err != nil {
		r.err = fmt.Errorf("update repository %s: %w", r.Dir, err)
		r.Log.Error("releases: repository unreadable; keeping the last catalog", "dir", r.Dir, "err", err)
		return r.cat, r.err
	}
	if c.TargetsVersion != r.cat.TargetsVersion || len(c.Problems) != len(r.cat.Problems) {
		r.Log.Info("releases: catalog read", "dir", r.Dir, "targets_version", c.TargetsVersion, "channels", len(c.Channels), "problems", len(c.Problems))
		for _, p := range c.Problems {
			r.Log.Warn("releases: target skipped", "problem", p)
		}
	}
	r.cat, r.err = c, nil
	return c, nil
}

// Register adds the repository's routes (platformapi.PathUpdateMetadata
// and PathUpdateTargets) to mux.
func (r *Repo) Register(mux *http.ServeMux) {
	mux.Handle(platformapi.PathUpdateMetadata, r.files(platformapi.PathUpdateMetadata, MetadataDir))
	mux.Handle(platformapi.PathUpdateTargets, r.files(platformapi.PathUpdateTargets, TargetsDir))
}

// Handler returns the repository's routes alone.
func (r *Repo) Handler() http.Handler {
	mux := http.NewServeMux()
	r.Register(mux)
	return mux
}

// segment is one path segment a repository file may have: what the
// release tool writes (versions, boards, hex hashes, role names).
var segment = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.+~_-]*$`)

// hashedName is a consistent snapshot's target file: it never changes.
var hashedName = regexp.MustCompile(`^[0-9a-f]{64}\.`)

// cleanPath checks the request's path below prefix: plain segments only
// (no "..", no hidden files, no empty segment) and nothing percent-encoded
// (an encoded slash would hide a segment boundary).
func cleanPath(r *http.Request, prefix string) (string, error) {
	if r.URL.RawPath != "" {
		return "", errors.New("percent-encoded characters in the path")
	}
	rel, ok := strings.CutPrefix(r.URL.Path, prefix)
	if !ok || rel == "" {
		return "", errors.New("no file named")
	}
	for _, s := range strings.Split(rel, "/") {
		if !segment.MatchString(s) {
			return "", fmt.Errorf("path segment %q not allowed", s)
		}
	}
	return rel, nil
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// files serves the regular files under the repository's sub directory
// sub at prefix: GET and HEAD, with Range (http.ServeContent), never a
// directory listing, never a file outside the directory (os.Root: no
// "..", no symbolic link that leads out).
func (r *Repo) files(prefix, sub string) http.Handler {
	metadata := sub == MetadataDir
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "the update repository is read-only: GET and HEAD only", http.StatusMethodNotAllowed)
			return
		}
		addr := clientAddr(req)
		if wait, ok := r.buckets.Take(addr, r.Now(), r.Burst, r.Every); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(max(1, int(wait.Seconds()+0.999))))
			http.Error(w, "too many requests from this address; slow down", http.StatusTooManyRequests)
			return
		}
		notFound := func(why error) {
			level := slog.LevelWarn
			if metadata && strings.HasSuffix(req.URL.Path, ".root.json") && errors.Is(why, fs.ErrNotExist) {
				// The next root version not being there is how every
				// box's refresh ends its walk of root rotations (TUF
				// 5.3): not worth a warning per poll.
				level = slog.LevelDebug
			}
			r.Log.Log(req.Context(), level, "releases: not served", "path", req.URL.EscapedPath(), "remote", req.RemoteAddr, "reason", why)
			http.Error(w, "no such file in the update repository", http.StatusNotFound)
		}
		rel, err := cleanPath(req, prefix)
		if err != nil {
			notFound(err)
			return
		}
		root, err := os.OpenRoot(filepath.Join(r.Dir, sub))
		if err != nil {
			notFound(err)
			return
		}
		defer root.Close()
		f, err := root.Open(filepath.FromSlash(rel))
		if err != nil {
			notFound(err)
			return
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			notFound(err)
			return
		}
		if !fi.Mode().IsRegular() {
			notFound(fmt.Errorf("%s is not a regular file", rel))
			return
		}
		switch {
		case metadata:
			// timestamp.json changes at every publication; the others
			// are versioned, but a client must never get a stale copy
			// from a cache on the way.
			w.Header().Set("Cache-Control", "no-cache")
			w.Header().Set("Content-Type", "application/json")
		case hashedName.MatchString(path.Base(rel)):
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			w.Header().Set("Content-Type", "application/octet-stream")
		default:
			w.Header().Set("Cache-Control", "no-cache")
			w.Header().Set("Content-Type", "application/octet-stream")
		}
		// Room for a slow link: the length at MinRate, plus a minute.
		rc := http.NewResponseController(w)
		rc.SetWriteDeadline(time.Now().Add(time.Minute + time.Duration(fi.Size()/MinRate)*time.Second))
		http.ServeContent(w, req, path.Base(rel), fi.ModTime(), f)
	})
}
