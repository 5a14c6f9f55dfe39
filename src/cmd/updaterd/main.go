// Command updaterd: installs signed software and signature packages into the inactive A/B slot.
package main

import (
	"os"

	"picket.dev/picket/src/base/placeholder"
)

func main() {
	os.Exit(placeholder.Main(placeholder.Program{
		Name:  "updaterd",
		Role:  "installs signed software and signature packages into the inactive A/B slot",
		Issue: 0,
	}, os.Args[1:], os.Stdout, os.Stderr))
}
