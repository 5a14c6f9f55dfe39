// Package netstatus waits, in end-to-end tests, until the network
// manager's status (netmgrd's local API) shows what a test needs: one
// polling loop for the suites that drive netmgrd (tests/netmgr,
// tests/platformlink, tests/vuln).
package netstatus

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/net/netapi"
)

// Statuser is what Wait polls: netapi.Client's Status.
type Statuser interface {
	Status(ctx context.Context) (netapi.Status, error)
}

// Wait polls s every 200 ms until cond holds and returns that status. It
// fails t after timeout (a hang guard, not a timing assertion) with the
// last status and error and the text of every dump (a daemon's output).
func Wait(t testing.TB, s Statuser, what string, timeout time.Duration, cond func(netapi.Status) bool, dumps ...func() string) netapi.Status {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last netapi.Status
	var err error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		last, err = s.Status(ctx)
		cancel()
		if err == nil && cond(last) {
			return last
		}
		time.Sleep(200 * time.Millisecond)
	}
	js, _ := json.MarshalIndent(last, "", "  ")
	var more []string
	for _, d := range dumps {
		more = append(more, d())
	}
	t.Fatalf("waiting for %s: not after %s (last error %v); status:\n%s\n%s", what, timeout, err, js, strings.Join(more, "\n"))
	return last
}
