package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The schema's versions, one file each: NNNN_what.sql, numbered from 1
// without gaps. A migration is never edited once released: a change is a
// new file (and a fixture of its own in testdata/, which the upgrade test
// walks).
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations reads the embedded migrations in order.
func migrations() ([]migration, error) {
	ents, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("schema migrations: %w", err)
	}
	var ms []migration
	for _, e := range ents { // ReadDir sorts by name
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v != len(ms)+1 {
			return nil, fmt.Errorf("schema migration %s: want %04d_NAME.sql", e.Name(), len(ms)+1)
		}
		body, err := fs.ReadFile(migrationFiles, "migrations/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("schema migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: strings.TrimSuffix(e.Name(), ".sql"), sql: string(body)})
	}
	return ms, nil
}

// Latest is the schema version this binary writes.
func Latest() int {
	ms, err := migrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// ErrNewerSchema is a database migrated by a newer platformd than this
// one: it is not touched.
var ErrNewerSchema = errors.New("database schema is newer than this platformd")

// migrateLock is the advisory lock key migrations hold (any constant; it
// is per database): replicas starting at once migrate one after another,
// the later ones finding nothing left to do.
const migrateLock int64 = 0x7069636b65740001 // "picket" 0001

// Migrate brings the schema of the database at connString to version
// target (0 < target <= Latest()), each migration in its own
// transaction, recorded in schema_migrations. It refuses a database whose
// schema is newer than target. Open migrates to Latest; tests use Migrate
// to make databases of earlier versions.
func Migrate(ctx context.Context, connString string, target int) error {
	cfg, err := parseConfig(connString)
	if err != nil {
		return err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL (%s): %w", Describe(connString), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return migrate(ctx, conn, target)
}

func migrate(ctx context.Context, conn *pgx.Conn, target int) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	if target < 1 || target > len(ms) {
		return fmt.Errorf("schema version %d: this platformd knows versions 1 to %d", target, len(ms))
	}
	// A session lock, held across the migrations' transactions; closing
	// the connection releases it too.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrateLock); err != nil {
		return fmt.Errorf("schema migrations: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrateLock)
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY,
		name text NOT NULL,
		applied timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("schema migrations: create their table: %w", err)
	}
	var cur int
	if err := conn.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&cur); err != nil {
		return fmt.Errorf("schema migrations: read the version: %w", err)
	}
	if cur > len(ms) {
		return fmt.Errorf("%w: the database is at schema version %d, this platformd knows versions up to %d; run a platformd at least as new as the one that migrated it",
			ErrNewerSchema, cur, len(ms))
	}
	if cur > target {
		return fmt.Errorf("schema version %d wanted, the database is at %d: migrations only go up", target, cur)
	}
	for _, m := range ms[cur:target] {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name)
			return err
		})
		if err != nil {
			return fmt.Errorf("schema migration %s: %w", m.name, err)
		}
	}
	return nil
}

// SchemaVersion is the schema version of the database at connString (0:
// none yet).
func SchemaVersion(ctx context.Context, connString string) (int, error) {
	cfg, err := parseConfig(connString)
	if err != nil {
		return 0, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		return 0, fmt.Errorf("connect to PostgreSQL (%s): %w", Describe(connString), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var v int
	err = conn.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}
