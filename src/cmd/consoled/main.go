// Command consoled is the front-panel menu on the serial console: package
// src/daemon/consoled is the program and says what it does. On the box the
// multi-call binary (src/cmd/picketbox) runs the same program.
package main

import "picket.dev/picket/src/daemon/consoled"

func main() { consoled.Main() }
