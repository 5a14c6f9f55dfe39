package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"picket.dev/picket/src/base/clock"
	"picket.dev/picket/src/base/command"
	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/system/manifest"
	"picket.dev/picket/src/update/chunks"
	"picket.dev/picket/src/update/release"
	"picket.dev/picket/src/update/tuf"
)

// now is the tool's clock (a main builds the real dependencies).
func now() time.Time { return clock.System{}.Now() }

var keyNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// runKeygen writes NAME.key (0600) and NAME.pub into a directory; it never
// replaces a key.
func runKeygen(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	out := fs.String("out", "", "directory to write NAME.key and NAME.pub into (must exist)")
	name := fs.String("name", "", "key name: root-1, release (the targets key), snapshot, timestamp, ...")
	if err := command.ParseFlags(fs, args, "out", "name"); err != nil {
		return err
	}
	if !keyNameRE.MatchString(*name) {
		return fmt.Errorf("%w: -name %q: letters, digits, - and _", command.ErrUsage, *name)
	}
	k, err := manifest.WriteKeyPair(*out, *name, rand.Reader)
	if err != nil {
		return err
	}
	id, err := release.KeyID(k.Public)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s and %s (TUF key id %s); keep %s out of the repository\n", k.KeyPath, k.PubPath, id, filepath.Base(k.KeyPath))
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func loadPubs(list string) ([]ed25519.PublicKey, error) {
	var out []ed25519.PublicKey
	for _, p := range splitList(list) {
		k, err := manifest.LoadPublicKey(p)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

func loadPrivs(list string) ([]ed25519.PrivateKey, error) {
	var out []ed25519.PrivateKey
	for _, p := range splitList(list) {
		k, err := manifest.LoadPrivateKey(p)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no private key given", command.ErrUsage)
	}
	return out, nil
}

// parseDuration is time.ParseDuration plus days ("365d", "90d").
func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 || n > 3650 {
			return 0, fmt.Errorf("%w: duration %q: want 1d..3650d", command.ErrUsage, s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%w: duration %q: want e.g. 90d, 24h", command.ErrUsage, s)
	}
	return v, nil
}

// expiryFlags adds the expiry flags of the roles named.
type expiryFlags map[string]*string

func addExpiry(fs *flag.FlagSet, roles ...string) expiryFlags {
	e := expiryFlags{}
	def := map[string]string{release.Root: "365d", release.Targets: "90d", release.Snapshot: "7d", release.Timestamp: "1d"}
	for _, r := range roles {
		e[r] = fs.String(r+"-expires", def[r], "how long new "+r+" metadata is valid (Nd or a Go duration)")
	}
	return e
}

func (e expiryFlags) get() (release.Expiry, error) {
	var out release.Expiry
	dst := byRole(&out.Root, &out.Targets, &out.Snapshot, &out.Timestamp)
	for role, s := range e {
		d, err := parseDuration(*s)
		if err != nil {
			return out, fmt.Errorf("-%s-expires: %w", role, err)
		}
		*dst[role] = d
	}
	return out, nil
}

// allRoles are the top-level roles, in the order of their flags' checks.
var allRoles = []string{release.Root, release.Targets, release.Snapshot, release.Timestamp}

// byRole names the four fields of a per-role struct (release.Expiry,
// release.Keys) by role.
func byRole[T any](root, targets, snapshot, timestamp *T) map[string]*T {
	return map[string]*T{release.Root: root, release.Targets: targets, release.Snapshot: snapshot, release.Timestamp: timestamp}
}

// roleKeyFlags are -ROLE-key and -ROLE-threshold.
type roleKeyFlags struct {
	keys      map[string]*string
	threshold map[string]*int
}

func addRoleKeys(fs *flag.FlagSet) roleKeyFlags {
	f := roleKeyFlags{keys: map[string]*string{}, threshold: map[string]*int{}}
	for _, r := range allRoles {
		what := "public key files (PEM), comma-separated"
		if r == release.Targets {
			what += " (the release key of imgtool keygen)"
		}
		f.keys[r] = fs.String(r+"-key", "", r+" role's "+what)
		f.threshold[r] = fs.Int(r+"-threshold", 1, "how many "+r+" keys must sign")
	}
	return f
}

func (f roleKeyFlags) get() (release.Keys, error) {
	var k release.Keys
	dst := byRole(&k.Root, &k.Targets, &k.Snapshot, &k.Timestamp)
	for _, r := range allRoles {
		pubs, err := loadPubs(*f.keys[r])
		if err != nil {
			return k, err
		}
		*dst[r] = release.RoleKeys{Keys: pubs, Threshold: *f.threshold[r]}
	}
	return k, nil
}

// repoFlags are the flags every command on a repository has: -repo, the
// expiry of the roles whose metadata it writes, and the private keys it
// signs with, if any.
type repoFlags struct {
	fs    *flag.FlagSet
	dir   *string
	exp   expiryFlags
	privs []string // names of private key flags, in the order they are loaded
}

func addRepo(fs *flag.FlagSet, what string, roles ...string) *repoFlags {
	return &repoFlags{fs: fs, dir: fs.String("repo", "", what), exp: addExpiry(fs, roles...)}
}

// addPrivs adds a required flag of role's private key files,
// comma-separated, which parse loads.
func (f *repoFlags) addPrivs(name, role string) {
	f.fs.String(name, "", role+" private key(s), comma-separated")
	f.privs = append(f.privs, name)
}

// repoArgs is what a repository command's flags give.
type repoArgs struct {
	repo release.Repo
	exp  release.Expiry
	keys map[string][]ed25519.PrivateKey // by flag name (addPrivs)
}

// parse parses the command's flags, -repo, the private keys' flags and
// the others in required being required, then reads the expiries and
// loads the private keys.
func (f *repoFlags) parse(args []string, required ...string) (repoArgs, error) {
	required = append(append([]string{"repo"}, f.privs...), required...)
	if err := command.ParseFlags(f.fs, args, required...); err != nil {
		return repoArgs{}, err
	}
	a := repoArgs{repo: release.Repo{Dir: *f.dir}, keys: map[string][]ed25519.PrivateKey{}}
	var err error
	if a.exp, err = f.exp.get(); err != nil {
		return repoArgs{}, err
	}
	for _, name := range f.privs {
		if a.keys[name], err = loadPrivs(f.fs.Lookup(name).Value.String()); err != nil {
			return repoArgs{}, err
		}
	}
	return a, nil
}

// printStaged reports targets added to the staged targets, which then
// need the targets key's signature.
func printStaged(stdout io.Writer, infos ...tuf.Info) {
	for _, i := range infos {
		fmt.Fprintf(stdout, "staged %s (%d bytes, sha256 %s)\n", i.Path, i.Length, i.SHA256Hex())
	}
	fmt.Fprintln(stdout, "the staged targets need the targets (release) key's signature: release sign -role targets")
}

// printStatus reports how far each staged role is signed.
func printStatus(stdout io.Writer, r release.Repo) ([]release.SignStatus, error) {
	sts, err := r.Status()
	if err != nil {
		return nil, err
	}
	for _, st := range sts {
		fmt.Fprintf(stdout, "staged %s\n", st)
	}
	return sts, nil
}

func runInit(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	rf := addRepo(fs, "repository directory (created)", release.Root, release.Targets)
	keys := addRoleKeys(fs)
	a, err := rf.parse(args, "root-key", "targets-key", "snapshot-key", "timestamp-key")
	if err != nil {
		return err
	}
	k, err := keys.get()
	if err != nil {
		return err
	}
	if err := a.repo.Init(k, a.exp, now()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "staged root version 1 and targets version 1 in %s: sign both (release sign -role root / -role targets), then release publish\n", a.repo.Dir)
	return nil
}

func runAddSoftware(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	rf := addRepo(fs, "repository directory", release.Targets)
	var sw release.Software
	fs.StringVar(&sw.Board, "board", "", "board name (default: the signed manifest's)")
	fs.StringVar(&sw.Version, "version", "", "release version (default: the signed manifest's)")
	fs.StringVar(&sw.Image, "image", "", "rootfs.img, the slot image")
	fs.StringVar(&sw.Manifest, "manifest", "", "the image's signed manifest (imgtool sign)")
	fs.StringVar(&sw.Chunks, "chunks", "", "the image's chunk index")
	fs.StringVar(&sw.SBOM, "sbom", "", "the release's SBOM (release sbom)")
	a, err := rf.parse(args, "image", "manifest", "chunks", "sbom")
	if err != nil {
		return err
	}
	if (sw.Board == "") != (sw.Version == "") {
		return fmt.Errorf("%w: give both -board and -version, or neither (then the signed manifest's are used)", command.ErrUsage)
	}
	infos, err := a.repo.AddSoftware(sw, a.exp, now())
	if err != nil {
		return err
	}
	printStaged(stdout, infos...)
	return nil
}

func runAddSignatures(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	rf := addRepo(fs, "repository directory", release.Targets)
	pkg := fs.String("pkg", "", "signature package (imgtool sigpack)")
	a, err := rf.parse(args, "pkg")
	if err != nil {
		return err
	}
	i, err := a.repo.AddSignatures(*pkg, a.exp, now())
	if err != nil {
		return err
	}
	printStaged(stdout, i)
	return nil
}

func runSign(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	rf := addRepo(fs, "repository directory")
	role := fs.String("role", "", "root or targets")
	key := fs.String("key", "", "the holder's private key (PEM)")
	a, err := rf.parse(args, "role", "key")
	if err != nil {
		return err
	}
	k, err := manifest.LoadPrivateKey(*key)
	if err != nil {
		return err
	}
	st, err := a.repo.Sign(*role, k)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "signed with key %s: %s\n", st.KeyID, st)
	return nil
}

func runStatus(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	a, err := addRepo(fs, "repository directory").parse(args)
	if err != nil {
		return err
	}
	sts, err := printStatus(stdout, a.repo)
	if err == nil && len(sts) == 0 {
		fmt.Fprintln(stdout, "nothing staged")
	}
	return err
}

func runSnapshot(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	rf := addRepo(fs, "repository directory", release.Snapshot)
	rf.addPrivs("key", release.Snapshot)
	a, err := rf.parse(args)
	if err != nil {
		return err
	}
	if err := a.repo.Promote(); err != nil {
		return err
	}
	v, err := a.repo.WriteSnapshot(a.keys["key"], a.exp, now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote snapshot version %d; boxes see it once a timestamp names it (release timestamp)\n", v)
	return nil
}

func runTimestamp(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	rf := addRepo(fs, "repository directory", release.Timestamp)
	rf.addPrivs("key", release.Timestamp)
	a, err := rf.parse(args)
	if err != nil {
		return err
	}
	v, err := a.repo.WriteTimestamp(a.keys["key"], a.exp, now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote timestamp version %d\n", v)
	return nil
}

func runPublish(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	rf := addRepo(fs, "repository directory", release.Snapshot, release.Timestamp)
	rf.addPrivs("snapshot-key", release.Snapshot)
	rf.addPrivs("timestamp-key", release.Timestamp)
	a, err := rf.parse(args)
	if err != nil {
		return err
	}
	p, err := a.repo.Publish(a.keys["snapshot-key"], a.keys["timestamp-key"], a.exp, now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "published %s\n", p)
	return nil
}

func runRotateRoot(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	rf := addRepo(fs, "repository directory", release.Root, release.Targets)
	keys := addRoleKeys(fs)
	a, err := rf.parse(args)
	if err != nil {
		return err
	}
	k, err := keys.get()
	if err != nil {
		return err
	}
	if err := a.repo.RotateRoot(k, a.exp, now()); err != nil {
		return err
	}
	if _, err := printStatus(stdout, a.repo); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "sign the new root with the previous root's threshold and the new one's, then release publish")
	return nil
}

// runVerify serves the repository on loopback and runs the box's client
// (src/update/tuf) against it from an empty cache, with the given trusted
// root, at the given time: what a new box would accept. With -fetch every
// target is downloaded and its SHA-256 checked.
func runVerify(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	repo := fs.String("repo", "", "repository directory")
	rootPath := fs.String("root", "", "trusted root metadata, as an image ships it (e.g. REPO/metadata/1.root.json)")
	at := fs.String("time", "", "check expiry at this time (RFC 3339; default now)")
	fetch := fs.Bool("fetch", false, "download every target and check its length and SHA-256")
	if err := command.ParseFlags(fs, args, "repo", "root"); err != nil {
		return err
	}
	t := now()
	if *at != "" {
		var err error
		if t, err = time.Parse(time.RFC3339, *at); err != nil {
			return fmt.Errorf("%w: -time: %v", command.ErrUsage, err)
		}
	}
	root, err := os.ReadFile(*rootPath)
	if err != nil {
		return err
	}
	cache, err := os.MkdirTemp("", "release-verify-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(cache)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle(platformapi.PathUpdateMetadata, http.StripPrefix(platformapi.PathUpdateMetadata, http.FileServer(http.Dir(filepath.Join(*repo, release.MetadataDir)))))
	mux.Handle(platformapi.PathUpdateTargets, http.StripPrefix(platformapi.PathUpdateTargets, http.FileServer(http.Dir(filepath.Join(*repo, release.TargetsDir)))))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	hc := &http.Client{Transport: &http.Transport{Proxy: nil}}
	c, err := tuf.New(tuf.Config{Platform: "http://" + ln.Addr().String(), TrustedRoot: root, MetadataDir: cache, HTTP: hc})
	if err != nil {
		return err
	}
	ctx := context.Background()
	if err := c.Refresh(ctx, t); err != nil {
		return err
	}
	st := c.State()
	fmt.Fprintf(stdout, "verified at %s: root %d, timestamp %d, snapshot %d, targets %d; first expiry %s\n",
		t.UTC().Format(time.RFC3339), st.Root, st.Timestamp, st.Snapshot, st.Targets, st.Expires.Format(time.RFC3339))
	paths := c.Targets()
	var bad int
	sort.Strings(paths)
	for _, p := range paths {
		info, err := c.Target(p)
		if err != nil {
			fmt.Fprintf(stdout, "BAD  %s: %v\n", p, err)
			bad++
			continue
		}
		line := fmt.Sprintf("ok   %s  %d bytes  sha256 %s  %s", p, info.Length, info.SHA256Hex(), info.Custom.Version)
		if *fetch {
			h := sha256.New()
			if _, err := c.Downloader().Fetch(ctx, c.TargetURL(info), 0, info.Length, h); err != nil {
				fmt.Fprintf(stdout, "BAD  %s: %v\n", p, err)
				bad++
				continue
			}
			if string(h.Sum(nil)) != string(info.SHA256[:]) {
				fmt.Fprintf(stdout, "BAD  %s: the served bytes' SHA-256 is %x\n", p, h.Sum(nil))
				bad++
				continue
			}
			line += "  fetched"
		}
		fmt.Fprintln(stdout, line)
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d targets failed", bad, len(paths))
	}
	return nil
}

func runSBOM(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	var in release.SBOMInput
	fs.StringVar(&in.Board, "board", "", "board name")
	fs.StringVar(&in.Version, "version", "", "release version")
	fromManifest := fs.String("manifest", "", "instead of -board and -version: the release's signed manifest, verified with -pub")
	pubs := fs.String("pub", "", "with -manifest: the release public key files (PEM), comma-separated")
	modules := fs.String("modules", "vendor/modules.txt", "vendor/modules.txt of the build")
	gosum := fs.String("gosum", "go.sum", "go.sum of the build")
	inputs := fs.String("inputs", "third_party/inputs.lock", "third_party/inputs.lock of the build")
	fs.StringVar(&in.GoVersion, "go", runtime.Version(), "Go toolchain version the binaries are built with")
	created := fs.String("created", "", "creation time, RFC 3339 (default: $SOURCE_DATE_EPOCH, else now)")
	out := fs.String("out", "", "output file")
	if err := command.ParseFlags(fs, args, "out"); err != nil {
		return err
	}
	switch {
	case *fromManifest != "" && (in.Board != "" || in.Version != ""):
		return fmt.Errorf("%w: give -manifest or -board and -version, not both", command.ErrUsage)
	case *fromManifest != "":
		keys, err := loadPubs(*pubs)
		if err != nil {
			return err
		}
		if len(keys) == 0 {
			return fmt.Errorf("%w: -manifest needs -pub, the key to verify it with", command.ErrUsage)
		}
		b, err := os.ReadFile(*fromManifest)
		if err != nil {
			return err
		}
		m, err := manifest.Verify(b, keys)
		if err != nil {
			return fmt.Errorf("manifest %s: %w", *fromManifest, err)
		}
		in.Board, in.Version = m.Board, m.Version
	case in.Board == "" || in.Version == "":
		return fmt.Errorf("%w: missing -board and -version (or -manifest)", command.ErrUsage)
	}
	switch {
	case *created != "":
		t, err := time.Parse(time.RFC3339, *created)
		if err != nil {
			return fmt.Errorf("%w: -created: %v", command.ErrUsage, err)
		}
		in.Created = t
	case os.Getenv("SOURCE_DATE_EPOCH") != "":
		n, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64)
		if err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH: %w", err)
		}
		in.Created = time.Unix(n, 0)
	default:
		in.Created = now()
	}
	var err error
	for _, f := range []struct {
		path string
		dst  *[]byte
	}{{*modules, &in.ModulesTxt}, {*gosum, &in.GoSum}, {*inputs, &in.InputsLock}} {
		if *f.dst, err = os.ReadFile(f.path); err != nil {
			return err
		}
	}
	b, err := release.SBOM(in)
	if err != nil {
		return err
	}
	if err := manifest.WriteFile(*out, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes)\n", *out, len(b))
	return nil
}

func runChunks(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	image := fs.String("image", "", "the slot image (rootfs.img)")
	out := fs.String("out", "", "the chunk index to write (rootfs.chunks)")
	if err := command.ParseFlags(fs, args, "image", "out"); err != nil {
		return err
	}
	f, err := os.Open(*image)
	if err != nil {
		return err
	}
	defer f.Close()
	ix, err := chunks.Build(f)
	if err != nil {
		return fmt.Errorf("chunk %s: %w", *image, err)
	}
	b := ix.Marshal()
	if err := manifest.WriteFile(*out, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d chunks of %s (%d bytes)\n", *out, len(ix.Chunks), *image, len(b))
	return nil
}
