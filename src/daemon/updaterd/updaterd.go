// Package updaterd is the program of the box's updater (package
// updater): it takes the platform link's hand-over on updater.sock after each poll (scannerd:
// the management path, the platform's time, the update notices),
// refreshes the signed TUF metadata (the image's root at -tuf-root, the
// trusted cache under -data/updates/tuf) through that path, and installs
// newer software into the idle A/B slot (found by partition label, or
// -slot-a/-slot-b) with init's help on init.sock, and newer signatures
// through scannerd's scanner.sock. It tells init a new slot on trial is
// good once that slot has reached the platform. Without a TUF root or a
// platform CA it still serves its state and vouches for a slot on trial,
// but installs nothing, and says so. With -init "" (no init.sock: a test
// box, or a system whose pid 1 is not Picket's init) software updates are
// off and signature updates work; while init.sock does not answer yet,
// signatures are installed and software waits.
//
// Main is the program; src/cmd/updaterd is its command, and on the box the
// multi-call binary (src/cmd/picketbox) runs it as /usr/bin/updaterd.
package updaterd

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"

	"picket.dev/picket/src/base/atomicfile"
	"picket.dev/picket/src/base/clock"
	"picket.dev/picket/src/base/command"
	"picket.dev/picket/src/base/localapi"
	"picket.dev/picket/src/link/mgmthttp"
	"picket.dev/picket/src/scan/scanapi"
	"picket.dev/picket/src/system/initapi"
	"picket.dev/picket/src/system/linuxsys"
	"picket.dev/picket/src/system/manifest"
	"picket.dev/picket/src/update/updateapi"
	"picket.dev/picket/src/update/updater"
)

// Main runs updaterd with the process's arguments and exits with its status.
func Main() {
	p := command.New("updaterd")
	data := p.Flags.String("data", "/data", "data partition: the journal and the trusted metadata are kept under updates/")
	sock := p.Flags.String("socket", updateapi.DefaultSocket, "updater.sock: the updater's local API")
	initSock := p.Flags.String("init", initapi.DefaultSocket, "init.sock: boot state, slot manifest and trial, verdict, reboot (empty: none, software updates off)")
	scanSock := p.Flags.String("scanner", scanapi.DefaultSocket, "scanner.sock: where signature packages are installed (empty: no signature updates)")
	linkUID := p.Flags.Int64("link-uid", -1, "the platform link's (scannerd's) uid, allowed to hand over (-1: root only)")
	panelUIDs := p.Flags.String("panel-uids", "", "comma-separated uids allowed to read the state (the front panels'; empty: none)")
	platformCA := p.Flags.String("platform-ca", "", "PEM file of the platform's CA, the only root trusted for downloads (empty: no downloads)")
	releasePub := p.Flags.String("release-pub", "/etc/picket/release.pub", "the release public key (PEM) a slot's manifest must verify with")
	tufRoot := p.Flags.String("tuf-root", "/etc/picket/tuf/root.json", "the image's TUF root metadata, the trust anchor of updates")
	blocks := p.Flags.String("sys-block", "/sys/class/block", "where the slots' partitions are found by label (rootfs_a, rootfs_b)")
	slotA := p.Flags.String("slot-a", "", "slot a's device or file instead of the partition labelled rootfs_a")
	slotB := p.Flags.String("slot-b", "", "slot b's device or file instead of the partition labelled rootfs_b")
	commitEvery := p.Flags.Int64("commit-every", 0, "bytes written into the idle slot between two durable commits of the resume journal (0: slotwriter's default, 16 MiB; tests with images of a few MiB set less)")
	p.Main(func(ctx context.Context, log *slog.Logger) error {
		if *data == "" || *sock == "" {
			return command.Usagef("-data and -socket are required")
		}
		readers, err := localapi.ParseUIDs(*panelUIDs)
		if err != nil {
			return command.Usagef("-panel-uids: %v", err)
		}
		var keys []ed25519.PublicKey
		if k, err := manifest.LoadPublicKey(*releasePub); err != nil {
			log.Warn("no release key: no slot manifest will verify, so no software update", "err", err)
		} else {
			keys = append(keys, k)
		}
		var roots *x509.CertPool
		if *platformCA != "" {
			pem, err := os.ReadFile(*platformCA)
			if err != nil {
				return fmt.Errorf("platform CA: %w", err)
			}
			roots = x509.NewCertPool()
			if !roots.AppendCertsFromPEM(pem) {
				return fmt.Errorf("platform CA %s: no PEM certificate in it", *platformCA)
			}
		} else {
			log.Warn("no -platform-ca: updates cannot be downloaded")
		}
		meta := func(string, *http.Client) (updater.Metadata, error) {
			return nil, errors.New("updates are off: no TUF root in this image or no platform CA")
		}
		if root, err := os.ReadFile(*tufRoot); err != nil {
			log.Warn("no TUF root: updates are off", "err", err)
		} else if roots != nil {
			meta = updater.TUF(root, filepath.Join(*data, "updates", "tuf"), clock.System{})
		}
		cfg := updater.Config{
			Clock: clock.System{}, Data: atomicfile.Dir(*data), Metadata: meta, Keys: keys,
			Board: p.Info.Board, Version: p.Info.Version, Log: log,
			CommitEvery: *commitEvery,
			HTTP: func(l updateapi.Link) *http.Client {
				host := ""
				if u, err := url.Parse(l.Platform); err == nil {
					host = u.Hostname()
				}
				return mgmthttp.New(l.Path, mgmthttp.Options{RootCAs: roots, ServerName: host})
			},
			SlotDevice: func(slot string) (string, error) {
				switch {
				case slot == "a" && *slotA != "":
					return *slotA, nil
				case slot == "b" && *slotB != "":
					return *slotB, nil
				}
				return linuxsys.FindPartition(*blocks, "rootfs_"+slot)
			},
		}
		if *initSock != "" {
			ic := initapi.Dial(*initSock)
			defer ic.Close()
			cfg.Init = ic
		} else {
			log.Warn("no -init: software updates are off")
		}
		if *scanSock != "" {
			sc := scanapi.Dial(*scanSock)
			defer sc.Close()
			cfg.Scanner = sc
		}
		u, err := updater.New(cfg)
		if err != nil {
			return err
		}
		ln, err := updateapi.Listen(*sock)
		if err != nil {
			return err
		}
		srv := updateapi.NewServer(u, log, updateapi.Access{Link: *linkUID, Readers: readers})
		errc := make(chan error, 1)
		go func() { errc <- srv.Serve(ctx, ln) }()
		log.Info("starting", "version", p.Info.Version, "board", p.Info.Board, "socket", *sock)
		err = u.Run(ctx)
		return errors.Join(err, <-errc)
	})
}
