// Package version carries what a Picket binary was built as: its release
// version and the board it was built for. Both are stamped at link time
// (Bazel x_defs, or -ldflags -X with the go command); an unstamped binary
// is a development build for the virtual board.
package version

import (
	"fmt"
	"io"
	"runtime"

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
