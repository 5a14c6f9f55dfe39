// Command platformd: platform server: activates boxes, hands out scan jobs, publishes updates (host tool).
package main

import (
	"os"

	"picket.dev/picket/src/placeholder"
)

func main() {
	os.Exit(placeholder.Main(placeholder.Program{
		Name:  "platformd",
		Role:  "platform server: activates boxes, hands out scan jobs, publishes updates (host tool)",
		Issue: 5,
	}, os.Args[1:], os.Stdout, os.Stderr))
}
