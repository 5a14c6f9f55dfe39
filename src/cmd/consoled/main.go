// Command consoled: VT100 menu on the serial console.
package main

import (
	"os"

	"picket.dev/picket/src/placeholder"
)

func main() {
	os.Exit(placeholder.Main(placeholder.Program{
		Name:  "consoled",
		Role:  "VT100 menu on the serial console",
		Issue: 3,
	}, os.Args[1:], os.Stdout, os.Stderr))
}
