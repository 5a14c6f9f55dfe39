package scanapi_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/base/atomicfile"
	"picket.dev/picket/src/scan/scanapi"
	"picket.dev/picket/src/scan/sigpkg"
)

// installer is a scanner with a real signature store behind it.
type installer struct {
	fakeScanner
	store *sigpkg.Store[string]
}

func (i *installer) InstallSignatures(pkg []byte) (scanapi.Signatures, error) {
	h, err := i.store.Install(pkg)
	if err != nil {
		return scanapi.Signatures{}, err
	}
	return scanapi.Signatures{Version: h.Version, Created: h.Created, Source: sigpkg.SourceData, MaxAgeDays: i.store.MaxAgeDays()}, nil
}

func versionLine(src []byte) (string, error) {
	v, ok := strings.CutPrefix(string(src), "picket-signatures ")
	if !ok {
		return "", errors.New("line 1: not a signature database")
	}
	return v, nil
}

func TestInstallSignaturesOverTheSocket(t *testing.T) {
	seed := sha256.Sum256([]byte("scanapi test release key"))
	key := ed25519.NewKeyFromSeed(seed[:])
	store, err := sigpkg.New(sigpkg.Config[string]{
		Trusted: []ed25519.PublicKey{key.Public().(ed25519.PublicKey)}, Compile: versionLine,
		Data: atomicfile.Dir(t.TempDir()), Dir: "signatures",
	})
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	pkg := func(v string) []byte {
		b, err := sigpkg.Pack(v, created, []byte("picket-signatures "+v), key)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	path := filepath.Join(t.TempDir(), "scanner.sock")
	ln, err := scanapi.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- scanapi.NewServer(&installer{store: store}, nil, scanapi.Access{}).Serve(ctx, ln) }()
	c := scanapi.Dial(path)
	defer c.Close()

	sig, err := c.InstallSignatures(ctx, pkg("2.2.245-2"))
	if err != nil || sig.Version != "2.2.245-2" || !sig.Created.Equal(created) || sig.MaxAgeDays != sigpkg.DefaultMaxAgeDays {
		t.Fatalf("install: %+v, %v", sig, err)
	}
	tampered := pkg("2.2.246-1")
	tampered[len(tampered)-1] ^= 1
	for _, tc := range []struct {
		name string
		pkg  []byte
		want string
	}{
		{"tampered", tampered, "HTTP 422: install signatures: signature package payload does not match its signed header"},
		{"older", pkg("2.2.245-1"), "HTTP 422: install signatures: signature database older than the one in force: version 2.2.245-1 is older than 2.2.245-2 in force"},
		{"oversize", make([]byte, sigpkg.MaxPackage+1), "HTTP 413: install signatures: signature package too large"},
	} {
		_, err := c.InstallSignatures(ctx, tc.pkg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want one saying %q", tc.name, err, tc.want)
		}
		if store.Version() != "2.2.245-2" {
			t.Fatalf("%s: %s in force after a refusal", tc.name, store.Version())
		}
	}
	if sig, err := c.InstallSignatures(ctx, pkg("2.2.246-1")); err != nil || sig.Version != "2.2.246-1" || store.Version() != "2.2.246-1" {
		t.Fatalf("install newer: %+v, %v (in force %s)", sig, err, store.Version())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestInstallWithoutInstaller: a scanner that installs nothing says so.
func TestInstallWithoutInstaller(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scanner.sock")
	ln, err := scanapi.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go scanapi.NewServer(&fakeScanner{}, nil, scanapi.Access{}).Serve(ctx, ln)
	c := scanapi.Dial(path)
	defer c.Close()
	if _, err := c.InstallSignatures(ctx, bytes.Repeat([]byte{1}, 10)); err == nil || !strings.Contains(err.Error(), "HTTP 501") {
		t.Fatalf("err %v, want HTTP 501", err)
	}
}

// TestInstallOnlyRootOrOwnUID: a caller the server admits for the state
// (the panel daemons' uid) is refused an install, as a real process of
// another uid (setpriv, curl) meets it.
func TestInstallOnlyRootOrOwnUID(t *testing.T) {
	if os.Getuid() != 0 {
		t.Fatal("needs root, to call as another uid (setpriv)")
	}
	const other = 65534
	dir := t.TempDir()
	// The test's directories are 0700: let the other uid through.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "scanner.sock")
	ln, err := scanapi.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	// The socket's group is the daemons' on a box; here the other uid
	// reaches it through the mode, and the server's uid check decides.
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go scanapi.NewServer(&installer{}, nil, scanapi.Access{Readers: []uint32{uint32(other)}}).Serve(ctx, ln)
	curl := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("setpriv", append([]string{"--reuid", strconv.Itoa(other), "--regid", strconv.Itoa(other), "--clear-groups",
			"curl", "-sS", "--unix-socket", path, "-w", " %{http_code}"}, args...)...)
		cmd.Stdin = strings.NewReader("PICKETPK not really a package")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("curl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	if out := curl("http://scanner/v1/state"); !strings.HasSuffix(out, " 200") {
		t.Fatalf("state as uid %d: %s", other, out)
	}
	// A reader (a panel) may not cancel a scan: that is the network
	// manager's.
	if out := curl("-X", "POST", "--data-binary", "@-", "http://scanner/v1/cancel"); !strings.HasSuffix(out, " 403") {
		t.Fatalf("cancel as uid %d, a reader: %s", other, out)
	}
	if out := curl("-X", "POST", "--data-binary", "@-", "http://scanner/v1/signatures"); !strings.HasSuffix(out, " 403") || !strings.Contains(out, "installing signatures is for root, the scanner's and the updater's users") {
		t.Fatalf("install as uid %d: %s", other, out)
	}
}
