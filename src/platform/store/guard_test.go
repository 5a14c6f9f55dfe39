package store_test

import (
	"path/filepath"
	"testing"

	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/testkit/storetest"
)

// TestGuard: the embedded store's in-memory Guard passes the contract.
func TestGuard(t *testing.T) {
	storetest.RunGuard(t, func(t *testing.T) store.Store {
		st, err := store.Open(filepath.Join(t.TempDir(), "db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}
