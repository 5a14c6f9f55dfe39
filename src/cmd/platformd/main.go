// Command platformd is the Picket platform server (host tool): the HTTPS
// API boxes poll (activation, settings, scan jobs) and the web UI where
// managers log in, activate boxes by the code on their screen, edit their
// settings and launch scans, and roll releases of the update repository
// out to their boxes. The database is an embedded bbolt file in the data
// directory, or PostgreSQL (-db), which several platformd replicas can
// share.
//
// Serve:
//
//	platformd -data DIR [-db postgres://...] -cert CERT.pem -key KEY.pem [-listen ADDR] [-web-listen ADDR] [-proxy-protocol CIDR[,CIDR]] [-max-pending N] [-updates DIR]
//
// Create an account (the first one, then more), reading the password from
// the first line of standard input or from -password-file:
//
//	platformd -data DIR [-db postgres://...] -create-user NAME [-role manager|unit_manager|reader] [-account NAME] [-asset-groups G1,G2] [-password-file FILE]
//
// Back up the embedded database while platformd runs (through the running
// platformd's socket DIR/platformd.sock, or from the file when none runs);
// restore by stopping platformd and copying FILE to DIR/platform.db
// (docs/platform-operations.md; PostgreSQL is backed up with pg_dump):
//
//	platformd -data DIR -backup FILE
//
// Move the embedded database into an empty PostgreSQL database (platformd
// stopped), then serve with -db:
//
//	platformd -data DIR -migrate-to postgres://...
//
// Flags:
//
//	-data DIR            data directory holding platform.db (default /var/lib/picket-platform)
//	-db URL              PostgreSQL connection string (postgres://USER:PASSWORD@HOST/DB?sslmode=...,
//	                     or libpq's key=value form) instead of the embedded file; the schema is
//	                     migrated at start, a database of a newer platformd refused. Logs name
//	                     the host and database, never the password
//	-backup FILE         write a consistent copy of the embedded database to FILE (mode 0600) and exit
//	-migrate-to URL      copy the embedded database into the empty PostgreSQL database URL,
//	                     check the counts, say what was copied, and exit
//	-listen ADDR         HTTPS address of the box API, and of the web UI unless -web-listen is set (default :8443)
//	-web-listen ADDR     HTTPS address of the web UI on a listener of its own (default: share -listen)
//	-cert FILE, -key FILE  PEM certificate chain and private key of both listeners (TLS 1.3 only)
//	-proxy-protocol LIST comma-separated CIDR prefixes (or addresses) of the load balancers in front:
//	                     their connections must start with a PROXY protocol header (v2 or v1), whose
//	                     client address is then used for the per-address limits, logs and the audit
//	                     log; a header from any other address is refused
//	-max-pending N       most boxes waiting for activation at once (default 1000)
//	-updates DIR         the update repository (TUF metadata/ and targets/, as the release tool
//	                     publishes it): served read-only to boxes at /updates/v1/ on the box API's
//	                     listener, its releases rolled out from the web UI's Releases page
//	-create-user NAME    create this account and exit
//	-role ROLE           manager (default), unit_manager or reader, with -create-user
//	-account NAME        the account (organisation) the user belongs to (default "default"), with -create-user
//	-asset-groups LIST   comma-separated asset groups a unit manager or reader is limited to, with -create-user
//	-password-file FILE  read the new user's password from FILE instead of standard input
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"picket.dev/picket/src/base/command"
	"picket.dev/picket/src/platform/boxapi"
	"picket.dev/picket/src/platform/devcert"
	"picket.dev/picket/src/platform/proxyproto"
	"picket.dev/picket/src/platform/server"
	"picket.dev/picket/src/platform/store"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stderr))
}

func run(args []string, stdin io.Reader, stderr io.Writer) int {
	p := command.NewWith("platformd", os.Stdout, stderr)
	fs := p.Flags
	var cfg server.Config
	fs.StringVar(&cfg.DataDir, "data", "/var/lib/picket-platform", "data directory holding platform.db")
	fs.StringVar(&cfg.DB, "db", "", "PostgreSQL connection string (postgres://...) of the database, instead of the embedded platform.db in -data")
	backup := fs.String("backup", "", "write a consistent copy of the embedded database (platform.db in -data) to this file, also while platformd runs, and exit")
	migrateTo := fs.String("migrate-to", "", "copy the embedded database in -data into this empty PostgreSQL database (connection string) and exit")
	fs.StringVar(&cfg.Listen, "listen", ":8443", "HTTPS address of the box API (and of the web UI unless -web-listen is set)")
	fs.StringVar(&cfg.WebListen, "web-listen", "", "HTTPS address of the web UI on its own listener (default: share -listen)")
	fs.StringVar(&cfg.CertFile, "cert", "", "PEM certificate (chain) of the listeners")
	fs.StringVar(&cfg.KeyFile, "key", "", "PEM private key of the listeners")
	proxyProto := fs.String("proxy-protocol", "", "comma-separated CIDR prefixes of load balancers that send a PROXY protocol header (haproxy send-proxy-v2): their connections must start with one, and the client address it carries counts for limits, logs and the audit log")
	fs.IntVar(&cfg.MaxPending, "max-pending", boxapi.DefaultMaxPending, "most boxes waiting for activation at once")
	fs.StringVar(&cfg.UpdatesDir, "updates", "", "update repository directory (metadata/ and targets/, as the release tool publishes it) to serve to boxes and roll out from")
	createUser := fs.String("create-user", "", "create this user account and exit")
	role := fs.String("role", store.RoleManager, "role of the new user: manager, unit_manager or reader")
	account := fs.String("account", "default", "account (organisation) of the new user")
	groups := fs.String("asset-groups", "", "comma-separated asset groups a unit manager or reader is limited to")
	pwFile := fs.String("password-file", "", "read the new user's password from this file instead of standard input")
	devHosts := fs.String("dev-cert", "", "comma-separated host names/addresses: without -cert and -key, use (and make on first start) a throwaway CA and certificate for them in -data (dev-ca.pem is what boxes pin); for development and demonstrations only")
	return p.Run(args, func(ctx context.Context, log *slog.Logger) error {
		switch {
		case *backup != "" && (cfg.DB != "" || *migrateTo != ""):
			return command.Usagef("-backup copies the embedded database; back PostgreSQL up with pg_dump (docs/platform-operations.md)")
		case *backup != "":
			n, err := server.Backup(ctx, cfg.DataDir, *backup)
			if err != nil {
				return fmt.Errorf("backup: %w", err)
			}
			fmt.Fprintf(stderr, "platformd: backup of %s written to %s (%d bytes)\n", cfg.DataDir, *backup, n)
			return nil
		case *migrateTo != "" && cfg.DB != "":
			return command.Usagef("-migrate-to copies the embedded database in -data into the database it names; -db is not used with it")
		case *migrateTo != "":
			counts, how, err := server.MigrateTo(ctx, cfg.DataDir, *migrateTo)
			if err != nil {
				return fmt.Errorf("migrate to PostgreSQL: %w", err)
			}
			fmt.Fprintf(stderr, "platformd: copied %s, %s; the counts match. Serve with -db now.\n", counts, how)
			return nil
		}
		if *createUser != "" {
			if err := addUser(ctx, cfg.DataDir, cfg.DB, server.NewUser{Name: *createUser, Role: *role, Account: *account,
				AssetGroups: strings.Split(*groups, ",")}, *pwFile, stdin); err != nil {
				return fmt.Errorf("create user: %w", err)
			}
			fmt.Fprintf(stderr, "platformd: user %s (%s) created\n", *createUser, *role)
			return nil
		}
		if *proxyProto != "" {
			ps, err := proxyproto.ParseTrusted(*proxyProto)
			if err != nil {
				return command.Usagef("-proxy-protocol: %v", err)
			}
			cfg.ProxyProtocol = ps
		}
		if *devHosts != "" && cfg.CertFile == "" && cfg.KeyFile == "" {
			cert, key, err := devcert.Ensure(cfg.DataDir, strings.Split(*devHosts, ","), time.Now())
			if err != nil {
				return err
			}
			cfg.CertFile, cfg.KeyFile = cert, key
			log.Warn("running with a throwaway development certificate", "ca", filepath.Join(cfg.DataDir, devcert.CAFile))
		}
		return server.Run(ctx, cfg, log)
	})
}

func addUser(ctx context.Context, dataDir, db string, nu server.NewUser, pwFile string, stdin io.Reader) error {
	var pw string
	if pwFile != "" {
		b, err := os.ReadFile(pwFile)
		if err != nil {
			return fmt.Errorf("password file: %w", err)
		}
		pw = strings.TrimRight(string(b), "\r\n")
	} else {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read password from standard input: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	nu.Password = pw
	st, _, err := server.OpenDB(ctx, dataDir, db)
	if err != nil {
		return err
	}
	defer st.Close()
	return server.CreateUser(st, nu, time.Now())
}
