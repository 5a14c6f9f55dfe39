// Command scannerd: scanner engine and platform link (activation, polling, results upload).
package main

import (
	"os"

	"picket.dev/picket/src/placeholder"
)

func main() {
	os.Exit(placeholder.Main(placeholder.Program{
		Name:  "scannerd",
		Role:  "scanner engine and platform link (activation, polling, results upload)",
		Issue: 5,
	}, os.Args[1:], os.Stdout, os.Stderr))
}
