// Command lcdd: front-panel LCD and keys driver serving the menu.
package main

import (
	"os"

	"picket.dev/picket/src/placeholder"
)

func main() {
	os.Exit(placeholder.Main(placeholder.Program{
		Name:  "lcdd",
		Role:  "front-panel LCD and keys driver serving the menu",
		Issue: 3,
	}, os.Args[1:], os.Stdout, os.Stderr))
}
