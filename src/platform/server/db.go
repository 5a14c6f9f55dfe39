package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"picket.dev/picket/src/base/atomicfile"
	"picket.dev/picket/src/base/localapi"
	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/platform/store/postgres"
)

// OpenDB opens the platform's database: PostgreSQL at the connection
// string db (its schema migrated), or, when db is empty, the embedded
// bbolt file in dataDir. It returns the store and a description for logs
// that never holds a password.
func OpenDB(ctx context.Context, dataDir, db string) (store.Store, string, error) {
	if db == "" {
		st, err := OpenStore(dataDir)
		if err != nil {
			return nil, "", err
		}
		return st, "embedded " + filepath.Join(dataDir, DBFile), nil
	}
	st, err := postgres.Open(ctx, db)
	if err != nil {
		return nil, "", err
	}
	return st, "PostgreSQL " + st.String(), nil
}

// AdminSocket is the unix socket in the data directory on which a
// platformd running on the embedded store answers a local platformd's
// -backup: bbolt locks the database file for the process that has it
// open, so a second process cannot read it while the server runs, and
// the server alone can take a consistent copy (one read transaction)
// without stopping. The data directory is the owner's alone (0700) and
// the server admits only its own uid and root.
const AdminSocket = "platformd.sock"

// socketPath is a path of the admin socket in dataDir that fits a unix
// socket address (at most 107 bytes): the plain path if it does, else the
// same file through /proc/self/fd and a descriptor of the directory, which
// release closes once the socket is bound or connected.
func socketPath(dataDir string) (path string, release func(), err error) {
	path = filepath.Join(dataDir, AdminSocket)
	if len(path) < 100 {
		return path, func() {}, nil
	}
	fd, err := syscall.Open(dataDir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return "", nil, fmt.Errorf("data directory %s: %w", dataDir, err)
	}
	return fmt.Sprintf("/proc/self/fd/%d/%s", fd, AdminSocket), func() { syscall.Close(fd) }, nil
}

// serveAdmin serves the admin socket until ctx ends.
func serveAdmin(ctx context.Context, dataDir string, st *store.Bolt, log *slog.Logger) (func() error, error) {
	sock, release, err := socketPath(dataDir)
	if err != nil {
		return nil, err
	}
	l, err := localapi.Listen("platformd admin socket", sock)
	if err == nil {
		if err = os.Chmod(sock, 0o600); err != nil {
			l.Close()
		}
	}
	release()
	if err != nil {
		return nil, fmt.Errorf("platformd admin socket: %w", err)
	}
	path := filepath.Join(dataDir, AdminSocket)
	srv := localapi.NewServer("platformd admin socket", log, localapi.NewUIDs(uint32(os.Getuid()), 0))
	srv.Handle("GET /v1/backup", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		n, err := st.Backup(w)
		if err != nil {
			// The status went out with the first bytes: the connection
			// is cut without the chunked body's end, so the client's
			// read fails instead of taking a short copy for a whole one.
			log.Error("platformd: backup", "err", err)
			panic(http.ErrAbortHandler)
		}
		log.Info("platformd: backup taken", "bytes", n)
	})
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	return func() error {
		err := <-done
		os.Remove(path)
		return err
	}, nil
}

// Backup writes a consistent copy of the embedded database in dataDir
// to file (atomically, mode 0600) and returns its size: from the running
// platformd through its admin socket, or, when none runs, from the file
// itself. Restoring is copying it back as dataDir's platform.db while
// platformd is stopped.
func Backup(ctx context.Context, dataDir, file string) (int64, error) {
	n, err := backupFromServer(ctx, dataDir, file)
	if !errors.Is(err, localapi.ErrUnavailable) {
		return n, err
	}
	db := filepath.Join(dataDir, DBFile)
	if _, err := os.Stat(db); err != nil {
		return 0, fmt.Errorf("no platformd runs on %s and there is no database to copy: %w", dataDir, err)
	}
	// Without a socket to answer, a platformd that still held the file
	// would be a stale one of before the socket: say so soon.
	st, err := store.OpenWait(db, time.Second)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	err = atomicfile.WriteFrom(file, func(w io.Writer) error {
		n, err = st.Backup(w)
		return err
	}, 0o600)
	return n, err
}

func backupFromServer(ctx context.Context, dataDir, file string) (int64, error) {
	sock := filepath.Join(dataDir, AdminSocket)
	c := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			path, release, err := socketPath(dataDir)
			if err != nil {
				return nil, err
			}
			defer release()
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
		DisableCompression: true,
	}}
	defer c.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://platformd/v1/backup", nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
			return 0, fmt.Errorf("backup through %s: %w: %v", sock, localapi.ErrUnavailable, err)
		}
		return 0, fmt.Errorf("backup through %s: %w", sock, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return 0, fmt.Errorf("backup through %s: HTTP %d: %s", sock, resp.StatusCode, body)
	}
	var n int64
	err = atomicfile.WriteFrom(file, func(w io.Writer) error {
		n, err = io.Copy(w, resp.Body)
		if err != nil {
			return fmt.Errorf("backup through %s: %w", sock, err)
		}
		return nil
	}, 0o600)
	return n, err
}

// MigrateTo copies every record of the embedded database in dataDir
// into the empty PostgreSQL database at db (its schema made first) and
// returns the counts it verified there. platformd must be stopped (the
// embedded file's lock says so).
func MigrateTo(ctx context.Context, dataDir, db string) (postgres.Counts, string, error) {
	path := filepath.Join(dataDir, DBFile)
	if _, err := os.Stat(path); err != nil {
		return nil, "", fmt.Errorf("no embedded database to copy: %w", err)
	}
	src, err := store.OpenWait(path, time.Second)
	if err != nil {
		return nil, "", fmt.Errorf("%w (stop platformd before -migrate-to)", err)
	}
	defer src.Close()
	dst, err := postgres.Open(ctx, db)
	if err != nil {
		return nil, "", err
	}
	defer dst.Close()
	start := time.Now()
	counts, err := dst.Import(src)
	if err != nil {
		return nil, "", err
	}
	return counts, fmt.Sprintf("from %s to PostgreSQL %s in %s", path, dst, time.Since(start).Round(time.Millisecond)), nil
}
