// Package pgtest starts throwaway PostgreSQL clusters for tests: Debian's
// postgresql-15 server (tools/fetch installs it) in a fresh directory,
// reachable only over a unix socket in that directory (no TCP listener),
// with trust authentication for its superuser, stopped and removed when
// the test ends, even after a failure. initdb takes a few seconds, so a
// test starts one cluster and takes a fresh database from it per case
// (NewDB). A missing server is a test failure, never a skip. It is
// test-only.
package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Bin is where Debian's postgresql-15 package puts the server's programs
// (initdb, pg_ctl, postgres, pg_dump, pg_restore, psql): not on PATH.
const Bin = "/usr/lib/postgresql/15/bin"

// runuser is util-linux's runuser, by its path: Bazel's strict test
// environment has no /usr/sbin on PATH.
const runuser = "/usr/sbin/runuser"

// Superuser is the cluster's superuser, the user of every connection
// string a Cluster gives.
const Superuser = "postgres"

// Cluster is a running throwaway PostgreSQL server.
type Cluster struct {
	// Dir holds the data directory (Dir/data), the server's log and its
	// socket.
	Dir string
	// runAs is the system user the server runs as ("" = this process's
	// user): PostgreSQL refuses to run as root.
	runAs string

	mu   sync.Mutex
	next int // databases made so far, for their names
}

// Start makes and starts a cluster; t.Cleanup stops it and removes its
// directory.
func Start(t testing.TB) *Cluster {
	t.Helper()
	for _, p := range []string{"initdb", "pg_ctl", "postgres"} {
		if _, err := os.Stat(filepath.Join(Bin, p)); err != nil {
			t.Fatalf("pgtest: PostgreSQL 15 is not installed (%v): tools/fetch installs Debian's postgresql-15", err)
		}
	}
	c := &Cluster{}
	uid, gid := -1, -1
	if os.Geteuid() == 0 {
		c.runAs = Superuser // the Debian package's system user
		u, err := user.Lookup(c.runAs)
		if err != nil {
			t.Fatalf("pgtest: running as root, the server needs the %s system user (Debian's postgresql-15 creates it): %v", c.runAs, err)
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		if _, err := os.Stat(runuser); err != nil {
			t.Fatalf("pgtest: %v (util-linux's runuser starts the server as %s)", err, c.runAs)
		}
	}
	// A unix socket's path is at most 107 bytes: Bazel's TEST_TMPDIR can
	// be longer than that allows, so a long temporary directory gives way
	// to /tmp.
	base := os.TempDir()
	if len(base) > 60 {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "pgtest")
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	c.Dir = dir
	t.Cleanup(func() {
		c.stop(t)
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("pgtest: remove %s: %v", dir, err)
		}
	})
	// The server's user must reach its directory (MkdirTemp makes it 0700).
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if c.runAs != "" {
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatalf("pgtest: %v", err)
		}
	}
	// No fsync anywhere: a test's cluster does not outlive a power cut.
	if out, err := c.cmd("initdb", "-D", c.data(), "-A", "trust", "-U", Superuser, "--no-sync",
		"--no-instructions", "-E", "UTF8", "--locale=C").CombinedOutput(); err != nil {
		t.Fatalf("pgtest: initdb: %v\n%s", err, out)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *Cluster) data() string { return filepath.Join(c.Dir, "data") }

// cmd runs one of the server's programs as the server's user.
func (c *Cluster) cmd(prog string, args ...string) *exec.Cmd {
	if c.runAs == "" {
		return exec.Command(filepath.Join(Bin, prog), args...)
	}
	return exec.Command(runuser, append([]string{"-u", c.runAs, "--", filepath.Join(Bin, prog)}, args...)...)
}

// Start starts the server (again, after Stop) and waits until it accepts
// connections.
func (c *Cluster) Start() error {
	opts := fmt.Sprintf("-k %s -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off", c.Dir)
	out, err := c.cmd("pg_ctl", "-D", c.data(), "-l", filepath.Join(c.Dir, "server.log"), "-o", opts, "-w", "-t", "60", "start").CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(c.Dir, "server.log"))
		return fmt.Errorf("pgtest: pg_ctl start: %v\n%s\nserver log:\n%s", err, out, log)
	}
	return nil
}

// Stop stops the server at once (immediate mode: a crash, as far as the
// clients see it).
func (c *Cluster) Stop() error {
	out, err := c.cmd("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop").CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgtest: pg_ctl stop: %v\n%s", err, out)
	}
	return nil
}

// stop is the cleanup's Stop: a server that is not running is fine.
func (c *Cluster) stop(t testing.TB) {
	if _, err := os.Stat(filepath.Join(c.data(), "postmaster.pid")); err != nil {
		return
	}
	if err := c.Stop(); err != nil {
		t.Errorf("%v", err)
	}
}

// URL is the connection string of database db on the cluster, over its
// unix socket, as the superuser.
func (c *Cluster) URL(db string) string {
	return "postgres://" + Superuser + "@/" + url.PathEscape(db) + "?host=" + url.QueryEscape(c.Dir)
}

// NewDB creates an empty database and returns its connection string.
func (c *Cluster) NewDB(t testing.TB) string {
	t.Helper()
	c.mu.Lock()
	c.next++
	name := "db" + strconv.Itoa(c.next)
	c.mu.Unlock()
	// FILE_COPY copies the template's files (with a checkpoint, cheap
	// without fsync) instead of logging each block: ~0.2 s a database
	// instead of ~0.35.
	if err := c.Exec("postgres", "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" STRATEGY FILE_COPY"); err != nil {
		t.Fatal(err)
	}
	return c.URL(name)
}

// Emptier empties every table of one database (schema public) but
// those it was told to keep, over a connection it holds: a fresh database
// for the next case in a few milliseconds, where NewDB and the
// migrations take a few hundred (for suites of many small cases).
type Emptier struct {
	conn *pgx.Conn
	del  string
}

// NewEmptier connects to the database at url, whose tables must exist
// (migrated), and lists them; t.Cleanup closes the connection.
func NewEmptier(t testing.TB, url string, keep ...string) *Emptier {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("pgtest: connect to empty the database: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	rows, err := conn.Query(ctx, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND NOT tablename = ANY($1) ORDER BY tablename", keep)
	if err != nil {
		t.Fatalf("pgtest: list the tables: %v", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("pgtest: list the tables: %v", err)
	}
	// DELETE, not TRUNCATE: on a few rows it is several times faster (no
	// new files per table). Sequences go on from where they were.
	var del strings.Builder
	for _, n := range names {
		del.WriteString("DELETE FROM " + pgx.Identifier{n}.Sanitize() + ";")
	}
	return &Emptier{conn: conn, del: del.String()}
}

// Empty deletes every row of the tables, in one transaction.
func (e *Emptier) Empty() error {
	if e.del == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := e.conn.Exec(ctx, e.del); err != nil {
		return fmt.Errorf("pgtest: empty the database: %w", err)
	}
	return nil
}

// Exec runs SQL statements (no arguments) on database db.
func (c *Cluster) Exec(db, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL(db))
	if err != nil {
		return fmt.Errorf("pgtest: connect to %s: %w", db, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("pgtest: %s: %q: %w", db, strings.TrimSpace(sql), err)
	}
	return nil
}

// Command is one of PostgreSQL's client programs (pg_dump, pg_restore,
// psql...) with args, run as this process's user (clients, unlike the
// server, run as root).
func Command(prog string, args ...string) *exec.Cmd {
	return exec.Command(filepath.Join(Bin, prog), args...)
}
