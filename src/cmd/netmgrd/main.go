// Command netmgrd is the network manager: package src/daemon/netmgrd is the
// program and says what it does. On the box the multi-call binary
// (src/cmd/picketbox) runs the same program.
package main

import "picket.dev/picket/src/daemon/netmgrd"

func main() { netmgrd.Main() }
