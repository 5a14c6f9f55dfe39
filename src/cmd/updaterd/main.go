// Command updaterd is the box's updater: package src/daemon/updaterd is the
// program and says what it does. On the box the multi-call binary
// (src/cmd/picketbox) runs the same program.
package main

import "picket.dev/picket/src/daemon/updaterd"

func main() { updaterd.Main() }
