// Command lcdd is the front panel's LCD and keys: package src/daemon/lcdd is
// the program and says what it does. On the box the multi-call binary
// (src/cmd/picketbox) runs the same program.
package main

import "picket.dev/picket/src/daemon/lcdd"

func main() { lcdd.Main() }
