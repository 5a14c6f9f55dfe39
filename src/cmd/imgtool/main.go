// Command imgtool: builds, signs and verifies rootfs and disk images; creates release keys (host tool).
package main

import (
	"os"

	"picket.dev/picket/src/placeholder"
)

func main() {
	os.Exit(placeholder.Main(placeholder.Program{
		Name:  "imgtool",
		Role:  "builds, signs and verifies rootfs and disk images; creates release keys (host tool)",
		Issue: 6,
	}, os.Args[1:], os.Stdout, os.Stderr))
}
