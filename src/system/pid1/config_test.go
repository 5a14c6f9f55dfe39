package pid1

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRingLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	r, err := OpenRingLog(path, 100)
	if err != nil {
		t.Fatal(err)
	}
	var all string
	for i := 0; i < 50; i++ {
		line := fmt.Sprintf("line %02d\n", i)
		all += line
		if _, err := r.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	r.Close()
	got, err := ReadRingLog(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) > 100 || len(got) < 50 {
		t.Fatalf("ring holds %d bytes, want between half and all of 100", len(got))
	}
	if !strings.HasSuffix(all, string(got)) {
		t.Fatalf("ring holds %q, want the newest lines of the log", got)
	}
	// Reopening continues the same ring.
	r, _ = OpenRingLog(path, 100)
	r.Write([]byte("after reopen\n"))
	r.Close()
	got, _ = ReadRingLog(path)
	if !strings.HasSuffix(string(got), "line 49\nafter reopen\n") || len(got) > 100 {
		t.Fatalf("after reopen: %q", got)
	}
}

// TestRingLogCloseTo: at a power off init closes the ring log (the data
// partition is unmounted next) while the panel daemons still write; their
// lines go to the console after that, and nothing more to the file.
func TestRingLogCloseTo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	r, err := OpenRingLog(path, 1000)
	if err != nil {
		t.Fatal(err)
	}
	r.Write([]byte("before\n"))
	var console bytes.Buffer
	if err := r.CloseTo(&console); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Write([]byte("after\n")); err != nil {
		t.Fatal(err)
	}
	if err := r.Sync(); err != nil {
		t.Errorf("Sync after CloseTo: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close after CloseTo: %v", err)
	}
	if _, err := r.Write([]byte("closed\n")); err == nil {
		t.Error("a write after Close succeeded")
	}
	if got, _ := ReadRingLog(path); string(got) != "before\n" {
		t.Errorf("the file holds %q, want only what came before CloseTo", got)
	}
	if console.String() != "after\n" {
		t.Errorf("the console got %q, want the line written after CloseTo", console.String())
	}
}

func TestLoadBootConfig(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, json, wantErr string }{
		{"ok", `{"hostname":"picket","modules":["/lib/modules/e1000.ko"],"services":[{"name":"netmgrd","path":"/usr/sbin/netmgrd"},{"name":"consoled","path":"/usr/sbin/consoled","console":"/dev/ttyS0"}],"stable_seconds":20}`, ""},
		{"unknown field", `{"hostname":"p","shell":"/bin/sh"}`, "unknown field"},
		// One document only: a second one (two configs concatenated by a
		// build step) was read as the first alone.
		{"trailing data", `{"hostname":"p"}{"hostname":"q"}`, "trailing data"},
		{"no hostname", `{}`, "no hostname"},
		{"trial not longer than stable period", `{"hostname":"p","stable_seconds":20,"trial_seconds":20}`, "trial_seconds 20 must be longer than the stable period"},
		{"trial not longer than default stable period", `{"hostname":"p","trial_seconds":30}`, "must be longer than the stable period"},
		{"negative trial", `{"hostname":"p","trial_seconds":-1}`, "must not be negative"},
		{"good by updater", `{"hostname":"p","services":[{"name":"netmgrd","path":"/usr/sbin/netmgrd"},{"name":"consoled","path":"/usr/sbin/consoled","console":"/dev/ttyS0"}],"stable_seconds":20,"good_by":"updater"}`, ""},
		{"good by someone else", `{"hostname":"p","good_by":"scannerd"}`, `good_by "scannerd": want "" or "updater"`},
		{"trial boots", `{"hostname":"p","services":[{"name":"netmgrd","path":"/usr/sbin/netmgrd"},{"name":"consoled","path":"/usr/sbin/consoled","console":"/dev/ttyS0"}],"stable_seconds":20,"trial_boots":1}`, ""},
		{"stop last", `{"hostname":"p","services":[{"name":"netmgrd","path":"/usr/sbin/netmgrd"},{"name":"lcdd","path":"/usr/sbin/lcdd","console":"/dev/ttyS0","stop_last":true}],"stable_seconds":20}`, ""},
		{"nice", `{"hostname":"p","services":[{"name":"netmgrd","path":"/usr/sbin/netmgrd"},{"name":"consoled","path":"/usr/sbin/consoled","console":"/dev/ttyS0","nice":-5}],"stable_seconds":20}`, ""},
		{"nice out of range", `{"hostname":"p","services":[{"name":"consoled","path":"/usr/sbin/consoled","nice":-21}]}`, "service consoled: nice -21: want -20 to 19"},
		{"after", `{"hostname":"p","services":[{"name":"netmgrd","path":"/usr/sbin/netmgrd","ready_socket":"/run/picket/netmgr.sock"},{"name":"consoled","path":"/usr/sbin/consoled","console":"/dev/ttyS0","after":["netmgrd"],"when_idle":true}],"stable_seconds":20}`, ""},
		{"after a later service", `{"hostname":"p","services":[{"name":"consoled","path":"/c","after":["netmgrd"]},{"name":"netmgrd","path":"/n","ready_socket":"/run/n.sock"}]}`, `service "consoled" after "netmgrd": not a service listed before it`},
		{"after itself", `{"hostname":"p","services":[{"name":"netmgrd","path":"/n","ready_socket":"/run/n.sock","after":["netmgrd"]}]}`, `service "netmgrd" after "netmgrd": not a service listed before it`},
		{"after no ready socket", `{"hostname":"p","services":[{"name":"netmgrd","path":"/n"},{"name":"scannerd","path":"/s","after":["netmgrd"]}]}`, `service "scannerd" after "netmgrd": "netmgrd" has no ready socket`},
		// GRUB's script counts down 3, 2, 1 (imagebuild.GrubConfig).
		{"too many trial boots", `{"hostname":"p","trial_boots":4}`, "trial_boots 4: want 1 to 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, tt.name)
			os.WriteFile(p, []byte(tt.json), 0o644)
			c, err := LoadBootConfig(p)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s := c.ServiceList()
			if len(s) != 2 || s[1].Console != "/dev/ttyS0" || c.StableSeconds != 20 || c.TrialSeconds != DefaultTrialSeconds || (c.GoodBy == GoodByUpdater) != (tt.name == "good by updater") ||
				c.TrialBoots != map[bool]int{true: 1, false: 3}[tt.name == "trial boots"] ||
				s[0].StopLast || s[1].StopLast != (tt.name == "stop last") ||
				s[0].Nice != 0 || s[1].Nice != map[bool]int{true: -5}[tt.name == "nice"] ||
				tt.name == "after" && (s[0].ReadySocket != "/run/picket/netmgr.sock" || fmt.Sprint(s[1].After) != "[netmgrd]" || !s[1].WhenIdle) ||
				tt.name != "after" && (s[0].ReadySocket != "" || s[1].After != nil || s[1].WhenIdle) || s[0].WhenIdle {
				t.Fatalf("config %+v services %+v", c, s)
			}
		})
	}
}
