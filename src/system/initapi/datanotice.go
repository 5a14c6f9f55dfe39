package initapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"picket.dev/picket/src/base/atomicfile"
)

// DataNoticePath is where init says, before it starts the daemons, what it
// had to do to the data partition at this boot (package datapart): the
// panel daemons read it at their start and show it to the operator. On
// /run, so it lasts one boot; no file means /data was mounted as it was.
const DataNoticePath = "/run/picket/data-partition.json"

// What init did to a data partition that could not be mounted
// (DataNotice.Data).
const (
	// DataRepaired: e2fsck repaired the file system; what it could not
	// place (settings, say) is lost, and the box uses defaults for it.
	DataRepaired = "repaired"
	// DataReset: the file system could not be repaired and was made
	// again, empty: the box is on its defaults.
	DataReset = "reset"
	// DataUnavailable: no data partition could be mounted (none found, or
	// repair and reformat failed): the box runs, but keeps nothing.
	DataUnavailable = "unavailable"
)

// DataNotice is the file at DataNoticePath.
type DataNotice struct {
	// Data is DataRepaired, DataReset or DataUnavailable.
	Data string `json:"data"`
	// NewIdentity: the box identity was lost with the data (it was not
	// in place after the repair, nor in lost+found); the platform link
	// makes a new one, so the box must be activated again.
	NewIdentity bool `json:"new_identity,omitempty"`
}

// WriteDataNotice writes n at path (0644: the panel daemons read it under
// their own uids), creating its directory.
func WriteDataNotice(path string, n DataNotice) error {
	b, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("data partition notice: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("data partition notice: %w", err)
	}
	if err := atomicfile.Write(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("data partition notice: %w", err)
	}
	return nil
}

// ReadDataNotice reads the notice at path; no file is the zero notice
// (the data partition mounted as it was). Fields a newer init adds are
// ignored.
func ReadDataNotice(path string) (DataNotice, error) {
	var n DataNotice
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return n, nil
	}
	if err != nil {
		return n, fmt.Errorf("read data partition notice: %w", err)
	}
	if err := json.Unmarshal(b, &n); err != nil {
		return DataNotice{}, fmt.Errorf("data partition notice %s: %w", path, err)
	}
	return n, nil
}
