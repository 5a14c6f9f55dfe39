package pid1

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"picket.dev/picket/src/system/slots"
	"picket.dev/picket/src/system/uevent"
)

// verityBench is a kernel as VerityWatch sees it: the mapping's status
// and the uevents, in order.
type verityBench struct {
	corrupted bool
	statusErr error
	events    []uevent.Event
	found     []string
}

func (b *verityBench) watch() VerityWatch {
	return VerityWatch{
		Corrupted: func() (bool, error) { return b.corrupted, b.statusErr },
		Next: func() (uevent.Event, error) {
			if len(b.events) == 0 {
				return uevent.Event{}, errors.New("socket closed")
			}
			e := b.events[0]
			b.events = b.events[1:]
			if _, ok := e.Env[VerityErrorVar]; ok && e.Env["real"] == "yes" {
				b.corrupted = true // the kernel set the status before sending
			}
			return e, nil
		},
		Found: func(what string) { b.found = append(b.found, what) },
	}
}

func ev(env ...string) uevent.Event {
	e := uevent.Event{Action: "change", DevPath: "/devices/virtual/block/dm-0", Env: map[string]string{}}
	for i := 0; i+1 < len(env); i += 2 {
		e.Env[env[i]] = env[i+1]
	}
	return e
}

func TestVerityWatch(t *testing.T) {
	t.Run("a corrupted block read while running", func(t *testing.T) {
		b := &verityBench{events: []uevent.Event{ev("DEVNAME", "vda1"), ev(VerityErrorVar, "0,4711", "real", "yes"), ev(VerityErrorVar, "0,4712", "real", "yes")}}
		if err := b.watch().Run(); err != nil {
			t.Fatal(err)
		}
		if len(b.found) != 1 || !strings.Contains(b.found[0], "data block 4711") || len(b.events) != 1 {
			t.Fatalf("found %q, %d events left; want one finding of data block 4711 and the watch stopped", b.found, len(b.events))
		}
	})
	t.Run("a hash block", func(t *testing.T) {
		b := &verityBench{events: []uevent.Event{ev(VerityErrorVar, "1,9", "real", "yes")}}
		b.watch().Run()
		if len(b.found) != 1 || !strings.Contains(b.found[0], "hash block 9") {
			t.Fatalf("found %q", b.found)
		}
	})
	t.Run("a forged uevent with the status still good", func(t *testing.T) {
		b := &verityBench{events: []uevent.Event{ev(VerityErrorVar, "0,1")}}
		if err := b.watch().Run(); err == nil || len(b.found) != 0 {
			t.Fatalf("Run = %v, found %q; want it to read on (until the socket closes) and find nothing", err, b.found)
		}
	})
	t.Run("already corrupted at start", func(t *testing.T) {
		b := &verityBench{corrupted: true}
		b.watch().Run()
		if len(b.found) != 1 || !strings.Contains(b.found[0], "already") {
			t.Fatalf("found %q", b.found)
		}
	})
	t.Run("no mapping", func(t *testing.T) {
		b := &verityBench{statusErr: errors.New("no such device or address")}
		if err := b.watch().Run(); err == nil || !strings.Contains(err.Error(), "not watching") || len(b.found) != 0 {
			t.Fatalf("Run = %v, found %q", err, b.found)
		}
	})
}

func TestAbandon(t *testing.T) {
	for _, c := range []struct {
		start slots.State
		slot  string
		want  slots.State
	}{
		{slots.State{Active: "a"}, "a", slots.State{Active: "b"}},
		{slots.State{Active: "a", Trying: "b", Tries: 1}, "b", slots.State{Active: "a"}},
	} {
		esp := t.TempDir()
		if err := slots.Write(filepath.Join(esp, Grubenv), c.start); err != nil {
			t.Fatal(err)
		}
		ctl := &Control{ESP: &DirESP{Dir: esp}, Slot: c.slot}
		if err := ctl.Abandon(); err != nil {
			t.Fatal(err)
		}
		if got, _ := slots.Read(filepath.Join(esp, Grubenv)); got != c.want {
			t.Errorf("slot %s abandoned from %v: %v, want %v", c.slot, c.start, got, c.want)
		}
	}
	if err := (&Control{ESP: &DirESP{Dir: t.TempDir()}, Slot: ""}).Abandon(); err == nil {
		t.Error("abandoning slot \"\" passed")
	}
}
