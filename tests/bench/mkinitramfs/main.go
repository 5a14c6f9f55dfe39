// Command mkinitramfs writes the minimal initramfs tests/bench/boot.sh
// boots as its peer: a Go PID 1 with /dev/console (imagebuild.Initramfs,
// no modules).
package main

import (
	"flag"
	"fmt"
	"os"

	"picket.dev/picket/src/system/imagebuild"
)

func main() {
	init := flag.String("init", "", "PID 1 binary")
	out := flag.String("out", "", "initramfs to write")
	flag.Parse()
	if *init == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: mkinitramfs -init BINARY -out FILE")
		os.Exit(2)
	}
	b, err := imagebuild.Initramfs(*init, nil)
	if err == nil {
		err = os.WriteFile(*out, b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkinitramfs:", err)
		os.Exit(1)
	}
}
