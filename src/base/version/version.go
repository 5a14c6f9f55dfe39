// Package version carries what a Picket binary was built as: its release
// version and the board it was built for. Both are stamped at link time
// (Bazel x_defs, or -ldflags -X with the go command); an unstamped binary
// is a development build for the virtual board.
package version

import (
	"fmt"
	"io"
	"runtime"
	"strings"

	"picket.dev/picket/platforms/board"
)

// Stamped at link time. Plain strings so that -X can set them; read them
// only through Get.
var (
	version   = "dev"
	boardName = "virtual"
)

// Info is what a binary reports about itself.
type Info struct {
	Program string
	Version string
	Board   string
	GOOS    string
	GOARCH  string
}

// Get returns the build information of the running binary, for program.
func Get(program string) Info {
	return Info{Program: program, Version: version, Board: boardName, GOOS: runtime.GOOS, GOARCH: runtime.GOARCH}
}

// Hardware returns the description of the board this binary was built for.
func (i Info) Hardware() (board.Board, error) { return board.Lookup(i.Board) }

// String is the one-line form every binary prints for --version.
func (i Info) String() string {
	return fmt.Sprintf("%s %s board=%s %s/%s", i.Program, i.Version, i.Board, i.GOOS, i.GOARCH)
}

// Fprint writes the --version line to w.
func (i Info) Fprint(w io.Writer) error {
	_, err := fmt.Fprintln(w, i.String())
	return err
}

// ImagePath is where a Picket image's rootfs names its release version
// (written by the image build, covered by the slot's signed manifest,
// which carries the same version). One slot's binaries are stamped with
// the build's version; the image may be a later release of the same
// binaries (a rebuild with a release suffix), and the version a box
// reports, compares for updates and shows is the image's.
const ImagePath = "/etc/picket/version"

// InImage returns i with the version of the image it runs from, read
// with read at ImagePath; outside an image (no such file, or nothing
// valid in it) i is returned unchanged.
func (i Info) InImage(read func(path string) ([]byte, error)) Info {
	b, err := read(ImagePath)
	if err != nil {
		return i
	}
	v := strings.TrimSpace(string(b))
	if v == "" || len(v) > 128 || strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return i
	}
	i.Version = v
	return i
}
