package fleet

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/platform/store"
)

// maxErrorText bounds what a refusal of one form says, however large the
// form: ten messages per field, each quoting at most a few dozen bytes.
const maxErrorText = 16 << 10

// FuzzEditValidate: the settings form, as a person (or anyone with a
// session) may post it. Whatever is typed, Validate does not panic, its
// messages stay short and are valid UTF-8; what it accepts is what the
// box accepts (netcfg's rules), within platformapi's limits, and reads
// back the same through the form (EditOf).
func FuzzEditValidate(f *testing.F) {
	f.Add("lab-box", "180", "100 10.1.0.5/24 lab\n200 2001:db8:1::5/64", "10.9.0.0/16 10.1.0.1 far", "static", "2001:db8::5/64", "fe80::1")
	f.Add(" b ", "10", "# c\r\n4094 10.0.0.1/32 a.b-c_d\n", "2001:db8::/32 fe80::1%eth0", "auto", "", "")
	f.Add("<&>\u202e", "86400", "1 ::ffff:1.2.3.4/120", "0.0.0.0/0 1.2.3.4 x y", "off", "x", "y")
	f.Add("\xff", "-1", "99999999999999999999 1.2.3.4/33", "10.0.0.0/8 10.0.0.1 \xff", "STATIC", " 2001:db8::1/64 ", "2001:db8::1")
	f.Fuzz(func(t *testing.T, name, interval, vlans, routes, method, addr, gw string) {
		e := Edit{Name: name, PollInterval: interval, VLANs: vlans, Routes: routes, IPv6Method: method, IPv6Address: addr, IPv6Gateway: gw}
		s, err := e.Validate()
		if err != nil {
			fe, ok := err.(FieldErrors)
			if !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			for field, msgs := range fe {
				if len(msgs) > maxFieldErrors+1 {
					t.Fatalf("%d messages on %s", len(msgs), field)
				}
			}
			if msg := err.Error(); len(msg) > maxErrorText || !utf8.ValidString(msg) {
				t.Fatalf("error of %d bytes (valid UTF-8: %v)", len(msg), utf8.ValidString(msg))
			}
			return
		}
		if err := platformapi.CheckName(s.Name); err != nil {
			t.Fatalf("accepted name %q: %v", s.Name, err)
		}
		if err := (netcfg.Config{Platform: s.Platform()}).Validate(); err != nil {
			t.Fatalf("accepted settings the box refuses: %v", err)
		}
		for _, v := range s.ScanVLANs {
			if len(v.Name) > netcfg.MaxNameLen {
				t.Fatalf("VLAN name of %d bytes accepted", len(v.Name))
			}
		}
		back, err := EditOf(store.Box{Name: s.Name, PollIntervalSeconds: s.PollIntervalSeconds, Settings: s}).Validate()
		if err != nil {
			t.Fatalf("accepted settings do not read back through the form: %v", err)
		}
		if !reflect.DeepEqual(back, s) {
			t.Fatalf("read back differently:\n%+v\n%+v", back, s)
		}
	})
}

// FuzzParseJob: the scan job form. Whatever is typed, ParseJob does not
// panic and keeps its messages short; what it accepts passes the check
// the box API makes before it sends a job (platformapi.CheckJob), so an
// accepted job can always be sent.
func FuzzParseJob(f *testing.F) {
	f.Add("10.0.0.0/24, host.example\n2001:db8::1", "22,80,8000-8100")
	f.Add("fe80::1%eth0 a_b -a.b", "0-70000,+1,1--2,")
	f.Add(strings.Repeat("h ", 100), " 1 - 2 , 3")
	f.Add("\xff\xfe", "\u0661")
	f.Fuzz(func(t *testing.T, targets, ports string) {
		ts, ps, err := ParseJob(targets, ports)
		if err != nil {
			if _, ok := err.(FieldErrors); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if msg := err.Error(); len(msg) > maxErrorText || !utf8.ValidString(msg) {
				t.Fatalf("error of %d bytes (valid UTF-8: %v)", len(msg), utf8.ValidString(msg))
			}
			return
		}
		if err := platformapi.CheckJob(platformapi.Job{ID: "job-0123456789abcdef", Targets: ts, Ports: ps}); err != nil {
			t.Fatalf("accepted a job the box API will not send: %v", err)
		}
	})
}
