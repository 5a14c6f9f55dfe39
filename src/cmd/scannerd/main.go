// Command scannerd is the box's scanner and platform link: package
// src/daemon/scannerd is the program and says what it does. On the box the
// multi-call binary (src/cmd/picketbox) runs the same program.
package main

import "picket.dev/picket/src/daemon/scannerd"

func main() { scannerd.Main() }
