package platformlink

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"picket.dev/picket/src/base/atomicfile"
	"picket.dev/picket/src/link/platformapi"
)

// StateFile is where the link's state is kept under the data partition.
const StateFile = "platformlink/state.json"

// maxDone bounds the remembered acknowledged uploads; the platform keeps
// sending a job only until it has its final update, so a short memory is
// enough to avoid re-queueing it.
const maxDone = 1000

// state is what survives a restart.
type state struct {
	// SettingsVersion is the last settings version applied (0: none).
	SettingsVersion int64 `json:"settings_version"`
	// PollIntervalSeconds is from the last settings applied.
	PollIntervalSeconds int `json:"poll_interval_seconds,omitempty"`
	// SignaturesMaxAgeDays is from the last settings applied (0: the
	// default).
	SignaturesMaxAgeDays int `json:"signatures_max_age_days,omitempty"`
	// RefusedVersion is a newer version the network manager refused, with
	// why: it is reported and not retried; a newer version is.
	RefusedVersion int64  `json:"refused_version,omitempty"`
	SettingsError  string `json:"settings_error,omitempty"`
	// PrevSettingsVersion is the version applied before SettingsVersion:
	// the one reported again when the network manager rolls
	// SettingsVersion back.
	PrevSettingsVersion int64 `json:"prev_settings_version,omitempty"`
	// SeenRollback is the id of the network manager's last rollback the
	// link took in (netapi.Status.Rollback), and Rollback what every poll
	// reports of it.
	SeenRollback string                       `json:"seen_rollback,omitempty"`
	Rollback     *platformapi.NetworkRollback `json:"rollback,omitempty"`
	// Pending are job updates not yet acknowledged, oldest first.
	Pending []platformapi.JobUpdate `json:"pending,omitempty"`
	// Done are the UploadIDs acknowledged, oldest first.
	Done []string `json:"done,omitempty"`
}

func (s *state) known(uploadID string) bool {
	for _, u := range s.Pending {
		if u.UploadID == uploadID {
			return true
		}
	}
	for _, d := range s.Done {
		if d == uploadID {
			return true
		}
	}
	return false
}

// interrupted are the jobs a runner accepted that have no final update
// (done, failed, canceled) queued or acknowledged: at start-up, jobs the
// scanner was running when it stopped. In order of acceptance.
func (s *state) interrupted() []string {
	var out []string
	check := func(uploadID string) {
		id, ok := strings.CutSuffix(uploadID, "/"+platformapi.JobAccepted)
		if !ok || slices.Contains(out, id) {
			return
		}
		for _, final := range []string{platformapi.JobDone, platformapi.JobFailed, platformapi.JobCanceled} {
			if s.known(id + "/" + final) {
				return
			}
		}
		out = append(out, id)
	}
	for _, d := range s.Done {
		check(d)
	}
	for _, u := range s.Pending {
		check(u.UploadID)
	}
	return out
}

func (s *state) ack(uploadID string) {
	for i, u := range s.Pending {
		if u.UploadID == uploadID {
			s.Pending = append(s.Pending[:i:i], s.Pending[i+1:]...)
			break
		}
	}
	s.Done = append(s.Done, uploadID)
	if len(s.Done) > maxDone {
		s.Done = s.Done[len(s.Done)-maxDone:]
	}
}

func loadState(dataDir string) (state, error) {
	var s state
	path := filepath.Join(dataDir, StateFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read platform link state %s: %w", path, err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return state{}, fmt.Errorf("platform link state %s is not valid JSON: %w", path, err)
	}
	return s, nil
}

func saveState(dataDir string, s state) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode platform link state: %w", err)
	}
	path := filepath.Join(dataDir, StateFile)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("store platform link state: %w", err)
	}
	if err := atomicfile.Write(path, data, 0o600); err != nil {
		return fmt.Errorf("store platform link state %s: %w", path, err)
	}
	return nil
}
