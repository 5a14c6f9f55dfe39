// Command flasher: writes a verified image to a block device or file (host tool).
package main

import (
	"os"

	"picket.dev/picket/src/placeholder"
)

func main() {
	os.Exit(placeholder.Main(placeholder.Program{
		Name:  "flasher",
		Role:  "writes a verified image to a block device or file (host tool)",
		Issue: 6,
	}, os.Args[1:], os.Stdout, os.Stderr))
}
