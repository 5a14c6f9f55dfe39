// Command init is /sbin/init of the Picket rootfs: package src/daemon/initd
// is the program and says what it does. On the box the multi-call binary
// (src/cmd/picketbox) runs the same program.
package main

import "picket.dev/picket/src/daemon/initd"

func main() { initd.Main() }
