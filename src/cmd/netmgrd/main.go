// Command netmgrd is the network manager: the only process that configures
// links, addresses, routes and DHCP, and the server of the netapi local API
// the front panel and the other daemons use.
//
// Until issue 4 lands the real manager, it serves the API from netapi's
// in-memory stand-in, which stores the configuration (netstore) but applies
// nothing to the interfaces; its status says so (backend "memory").
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"picket.dev/picket/src/netapi"
	"picket.dev/picket/src/netstore"
	"picket.dev/picket/src/version"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "netmgrd:", err)
		os.Exit(1)
	}
}

func run() error {
	socket := flag.String("socket", "/run/picket/netmgr.sock", "unix socket to serve the local API on")
	data := flag.String("data", "/data", "data partition: the configuration is kept under it")
	showVersion := flag.Bool("version", false, "print the version line and exit")
	flag.Parse()
	info := version.Get("netmgrd")
	if *showVersion {
		return info.Fprint(os.Stdout)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	log.Info("starting", "version", info.Version, "board", info.Board, "backend", "memory (stand-in: nothing is applied to interfaces)")

	if err := os.MkdirAll(*data, 0o700); err != nil {
		return fmt.Errorf("data partition: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(*socket), 0o755); err != nil {
		return fmt.Errorf("socket directory: %w", err)
	}
	store := netstore.New(netstore.DirFS(*data), rand.Reader)
	mgr := netapi.NewMemory(store, time.Now, nil)
	if st, err := mgr.Status(context.Background()); err == nil {
		log.Info("configuration loaded", "source", st.Config.Source, "reason", st.Config.Reason)
	}
	l, err := netapi.Listen(*socket)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log.Info("serving", "socket", *socket)
	err = netapi.Serve(ctx, l, mgr, netapi.WithLogger(log))
	if errors.Is(err, context.Canceled) {
		log.Info("stopped")
		return nil
	}
	return err
}
