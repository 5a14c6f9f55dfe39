// Command devca makes the throwaway platform CA that tests/product builds
// into its image: the CA certificate (which the image pins), and a server
// certificate and key for the platform's host name (which the test hands
// to platformd). It is a build step of that test (a genrule), so the keys
// are build outputs, never files of the repository; it writes the same
// files, with the same code, as `platformd -dev-cert` (src/platform/devcert),
// and the CA's own key is not kept. Every run makes new keys: the outputs
// are not reproducible.
//
//	devca -out DIR -host NAME[,NAME...]
package main

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"picket.dev/picket/src/base/command"
	"picket.dev/picket/src/platform/devcert"
)

func main() {
	p := command.New("devca")
	out := p.Flags.String("out", "", "directory to write "+devcert.CAFile+", "+devcert.CertFile+" and "+devcert.KeyFile+" into")
	hosts := p.Flags.String("host", "", "comma-separated host names or addresses of the platform")
	p.Main(func(context.Context, *slog.Logger) error {
		if *out == "" || *hosts == "" {
			return command.Usagef("-out and -host are required")
		}
		_, _, err := devcert.Ensure(*out, strings.Split(*hosts, ","), time.Now())
		return err
	})
}
