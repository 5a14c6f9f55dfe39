// Command delta measures the bytes a delta update puts on the wire (issue
// 15): it builds the product's rootfs twice the way imgtool does (the
// daemons and init cross-built for the board with their version stamped,
// init.json, the signed default signature package; squashfs through
// imagebuild.BuildSquashfs, the function imgtool's image build calls),
// the second time with a change, chunks both images (package chunks, as
// the release tool and the box do), plans the delta of the new image
// against the old (chunks.MakePlan with the updater's merge gap) and
// prints what would be fetched (the fetched ranges plus the chunk index)
// against the whole image. It also prints a signature update's package
// against the database it carries. Run by tests/bench/delta.sh; figures
// in docs/benchmarks.md ("Over-the-air updates").
package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"picket.dev/picket/src/scan/sigpkg"
	"picket.dev/picket/src/system/imagebuild"
	"picket.dev/picket/src/update/chunks"
)

// daemons are rootfs/products.bzl's DAEMONS (in /usr/bin) and the init.
var daemons = []string{"netmgrd", "consoled", "lcdd", "scannerd", "updaterd", "slotctl", "scan"}

func main() {
	board := flag.String("board", "rpi4", "board the images are for")
	goarch := flag.String("goarch", "arm64", "GOARCH of the board")
	goarm := flag.String("goarm", "", "GOARM of the board (armv7: 7)")
	work := flag.String("work", "", "scratch directory (default: a new temporary one, removed at the end)")
	flag.Parse()
	if err := run(*board, *goarch, *goarm, *work); err != nil {
		fmt.Fprintln(os.Stderr, "delta:", err)
		os.Exit(1)
	}
}

func run(board, goarch, goarm, work string) error {
	if work == "" {
		d, err := os.MkdirTemp("", "picket-delta-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		work = d
	}
	ctx := context.Background()
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return err
	}
	sigs, err := os.ReadFile("src/scan/sigdb/starter/starter.sigs")
	if err != nil {
		return err
	}
	overlay, err := writeOverlay(work)
	if err != nil {
		return err
	}
	const v1, v2 = "1.4.0", "1.4.1"
	for _, v := range []string{v1, v2} {
		for _, d := range append([]string{"init"}, daemons...) {
			if err := goBuild(ctx, filepath.Join(work, "bin-"+v, d), d, v, board, goarch, goarm, ""); err != nil {
				return err
			}
		}
	}
	changed := filepath.Join(work, "bin-"+v2, "scannerd.changed")
	if err := goBuild(ctx, changed, "scannerd", v2, board, goarch, goarm, overlay); err != nil {
		return err
	}
	imgs := map[string][]byte{}
	for _, c := range []struct {
		name, rest, scannerd string
	}{
		{"base-all", v1, ""},
		{"stamp-one", v1, filepath.Join(work, "bin-"+v2, "scannerd")},
		{"codestamp-one", v1, changed},
		{"stamp-all", v2, ""},
		{"codestamp-all", v2, changed},
	} {
		imgs[c.name], err = image(ctx, work, c.name, c.rest, c.scannerd, sigs, priv, board)
		if err != nil {
			return err
		}
	}
	base := imgs["base-all"]
	baseIx, err := chunks.Build(bytes.NewReader(base))
	if err != nil {
		return err
	}
	fmt.Printf("board %s (%s): base image %d bytes, %d chunks (average %d bytes), chunk index %d bytes\n",
		board, goarch, len(base), len(baseIx.Chunks), len(base)/len(baseIx.Chunks), len(baseIx.Marshal()))
	for _, c := range []struct{ img, what string }{
		{"base-all", "the same image again (reproducible build)"},
		{"stamp-one", "scannerd only, new version stamp"},
		{"codestamp-one", "scannerd only, new version stamp and a code change"},
		{"stamp-all", "all binaries with the new version stamp"},
		{"codestamp-all", "a release: all stamped, scannerd's code changed"},
	} {
		img := imgs[c.img]
		ix, err := chunks.Build(bytes.NewReader(img))
		if err != nil {
			return err
		}
		p := chunks.MakePlan(ix, baseIx, chunks.DefaultMergeGap)
		index := int64(len(ix.Marshal()))
		wire := p.FetchBytes + index
		fmt.Printf("%-55s image %9d  fetched %9d in %3d ranges + index %6d = %9d  %5.1f %%\n",
			c.what+":", len(img), p.FetchBytes, len(p.Ranges), index, wire, 100*float64(wire)/float64(len(img)))
	}
	pkg, err := sigpkg.Pack("2.0", time.Unix(0, 0).UTC(), sigs, priv)
	if err != nil {
		return err
	}
	fmt.Printf("signature update: package %d bytes for a database of %d bytes (%.1f %%): the whole package is fetched (one chunk's minimum is %d bytes)\n",
		len(pkg), len(sigs), 100*float64(len(pkg))/float64(len(sigs)), chunks.MinSize)
	return nil
}

// writeOverlay writes a go -overlay file adding a source file to
// scannerd's main package: a change of code, not only of data.
func writeOverlay(work string) (string, error) {
	src := filepath.Join(work, "zz_change.go")
	code := `package main

import "os"

// A code change for the delta benchmark: a few functions more.
func init() {
	if len(os.Args) > 1000 {
		println("delta benchmark", len(os.Args)*7)
		os.Exit(3)
	}
}
`
	if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
		return "", err
	}
	abs, err := filepath.Abs("src/cmd/scannerd/zz_change.go")
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(map[string]map[string]string{"Replace": {abs: src}})
	if err != nil {
		return "", err
	}
	p := filepath.Join(work, "overlay.json")
	return p, os.WriteFile(p, b, 0o644)
}

// goBuild builds one command for the board into out, as reproducibly as
// the product's build (trimmed paths, no cgo, no VCS stamp), with the
// version and board stamped; with an overlay file (go build -overlay).
func goBuild(ctx context.Context, out, cmd, version, board, goarch, goarm, overlay string) error {
	args := []string{"build", "-trimpath", "-buildvcs=false", "-o", out,
		"-ldflags", "-X picket.dev/picket/src/base/version.version=" + version + " -X picket.dev/picket/src/base/version.boardName=" + board}
	if overlay != "" {
		args = append(args, "-overlay", overlay)
	}
	args = append(args, "./src/cmd/"+cmd)
	c := exec.CommandContext(ctx, "go", args...)
	c.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	if goarm != "" {
		c.Env = append(c.Env, "GOARM="+goarm)
	}
	if out, err := c.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", cmd, err, out)
	}
	return nil
}

// image makes a rootfs squashfs of the binaries of version rest (in
// work/bin-VERSION), scannerd replaced by the file scannerd when given,
// init.json and the signature package of version rest.
func image(ctx context.Context, work, name, rest, scannerd string, sigs []byte, priv ed25519.PrivateKey, board string) ([]byte, error) {
	var files []imagebuild.File
	for _, d := range append([]string{"init"}, daemons...) {
		dest := "usr/bin/" + d
		if d == "init" {
			dest = "sbin/init"
		}
		src := filepath.Join(work, "bin-"+rest, d)
		if d == "scannerd" && scannerd != "" {
			src = scannerd
		}
		files = append(files, imagebuild.File{Name: dest, Source: src, Exec: true})
	}
	j := `{"hostname":"picket-` + board + `","services":[{"name":"netmgrd","path":"/usr/bin/netmgrd"},{"name":"scannerd","path":"/usr/bin/scannerd"}]}` + "\n"
	// The image's default signature package carries the release's version.
	pkg, err := sigpkg.Pack(rest, time.Unix(0, 0).UTC(), sigs, priv)
	if err != nil {
		return nil, err
	}
	files = append(files,
		imagebuild.File{Name: "etc/picket/init.json", Data: []byte(j)},
		imagebuild.File{Name: "usr/share/picket/signatures.pkg", Data: pkg})
	out := filepath.Join(work, name+".img")
	if err := imagebuild.BuildSquashfs(ctx, out, files); err != nil {
		return nil, err
	}
	return os.ReadFile(out)
}
