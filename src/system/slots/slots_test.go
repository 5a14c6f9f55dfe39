package slots

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func pad(s string) []byte {
	return append([]byte(s), bytes.Repeat([]byte{'#'}, BlockSize-len(s))...)
}

func TestEncodeExact(t *testing.T) {
	tests := []struct {
		name string
		st   State
		want string
	}{
		{"active a", State{Active: "a"}, header + "picket_active=a\npicket_trying=\npicket_tries=0\n"},
		{"trying b", State{Active: "a", Trying: "b", Tries: 3}, header + "picket_active=a\npicket_trying=b\npicket_tries=3\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.st.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, pad(tt.want)) {
				t.Fatalf("Encode = %q, want %q", got, pad(tt.want))
			}
			env, err := Parse(got)
			if err != nil {
				t.Fatal(err)
			}
			back, err := FromEnv(env)
			if err != nil || back != tt.st {
				t.Fatalf("round trip = %+v, %v; want %+v", back, err, tt.st)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, want string
		b          []byte
	}{
		{"short", "exactly 1024", []byte(signature)},
		{"no header", "does not start", pad("picket_active=a\n")},
		{"no equals", "want name=value", pad(header + "picket_active\n")},
		{"escaped", "escaped", pad(header + "x=a\\nb\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.b)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse err = %v, want it to say %q", err, tt.want)
			}
		})
	}
}

func TestStateErrors(t *testing.T) {
	tests := []struct {
		name string
		env  string
		want string
	}{
		{"bad active", "picket_active=c\n", "active slot \"c\""},
		{"no active", "", "active slot \"\""},
		{"bad trying", "picket_active=a\npicket_trying=x\n", "trying slot"},
		{"bad tries", "picket_active=a\npicket_tries=x\n", "want a number"},
		{"too many tries", "picket_active=a\npicket_tries=4\n", "want 0 to 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := Parse(pad(header + tt.env))
			if err != nil {
				t.Fatal(err)
			}
			_, err = FromEnv(env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("FromEnv err = %v, want it to say %q", err, tt.want)
			}
		})
	}
}

func TestEncodeRefuses(t *testing.T) {
	tests := []struct {
		name string
		env  Env
		want string
	}{
		{"newline value", Env{{"x", "a\nb"}}, "must not contain"},
		{"equals name", Env{{"x=y", "a"}}, "variable name"},
		{"duplicate", Env{{"x", "a"}, {"x", "b"}}, "set twice"},
		{"too big", Env{{"x", strings.Repeat("v", BlockSize)}}, "the block holds 1024"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.env.Encode()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Encode err = %v, want it to say %q", err, tt.want)
			}
		})
	}
}

func writeState(t *testing.T, st State) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "grubenv")
	if err := Write(path, st); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTransitions(t *testing.T) {
	tests := []struct {
		name    string
		start   State
		op      func(path string) error
		want    State
		wantErr string
	}{
		{"mark tried slot good", State{"a", "b", 2}, func(p string) error { return MarkGood(p, "b") }, State{Active: "b"}, ""},
		{"mark active good is a no-op", State{"a", "", 0}, func(p string) error { return MarkGood(p, "a") }, State{Active: "a"}, ""},
		{"mark active good while trying other", State{"a", "b", 0}, func(p string) error { return MarkGood(p, "a") }, State{"a", "b", 0}, ""},
		{"mark unknown slot", State{"a", "", 0}, func(p string) error { return MarkGood(p, "b") }, State{Active: "a"}, "neither active nor trying"},
		{"mark bad name", State{"a", "", 0}, func(p string) error { return MarkGood(p, "z") }, State{Active: "a"}, "want a or b"},
		{"set trying", State{"a", "", 0}, func(p string) error { return SetTrying(p, "b", 3) }, State{"a", "b", 3}, ""},
		{"set trying active", State{"a", "", 0}, func(p string) error { return SetTrying(p, "a", 3) }, State{Active: "a"}, "already the active"},
		{"set trying zero tries", State{"a", "", 0}, func(p string) error { return SetTrying(p, "b", 0) }, State{Active: "a"}, "want 1 to 3"},
		{"give up", State{"a", "b", 1}, GiveUp, State{Active: "a"}, ""},
		{"abandon the active slot", State{"a", "", 0}, func(p string) error { return Abandon(p, "a") }, State{Active: "b"}, ""},
		{"abandon the tried slot", State{"a", "b", 2}, func(p string) error { return Abandon(p, "b") }, State{Active: "a"}, ""},
		{"abandon the active slot while trying the other", State{"a", "b", 0}, func(p string) error { return Abandon(p, "a") }, State{Active: "b"}, ""},
		{"abandon bad name", State{"a", "", 0}, func(p string) error { return Abandon(p, "") }, State{Active: "a"}, "want a or b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeState(t, tt.start)
			err := tt.op(path)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("err = %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want it to say %q", err, tt.wantErr)
			}
			got, err := Read(path)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("state = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOther(t *testing.T) {
	for in, want := range map[string]string{"a": "b", "b": "a", "": "", "c": ""} {
		if got := Other(in); got != want {
			t.Errorf("Other(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestWriteKeepsOtherVariables: a block GRUB's save_env or an operator's
// grub-editenv added variables to keeps them, in their order.
func TestWriteKeepsOtherVariables(t *testing.T) {
	path := filepath.Join(t.TempDir(), "grubenv")
	if err := os.WriteFile(path, pad(header+"saved_entry=x\npicket_active=a\nfoo=bar\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := SetTrying(path, "b", 2); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := pad(header + "saved_entry=x\npicket_active=a\nfoo=bar\npicket_trying=b\npicket_tries=2\n")
	if !bytes.Equal(got, want) {
		t.Fatalf("block = %q, want %q", got, want)
	}
}

func grubEditenv(t *testing.T, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("grub-editenv")
	if err != nil {
		t.Fatalf("grub-editenv (Debian package grub-common) is needed to check the block format against GRUB's own tool: %v", err)
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("grub-editenv %v: %v: %s", args, err, out)
	}
	return string(out)
}

// TestGrubEditenv checks the format against GRUB's own tool both ways: a
// block grub-editenv writes is byte-identical to ours, and grub-editenv
// reads ours back.
func TestGrubEditenv(t *testing.T) {
	states := []State{{Active: "a"}, {"b", "a", 3}, {"a", "b", 1}}
	for _, st := range states {
		t.Run(st.String(), func(t *testing.T) {
			dir := t.TempDir()
			theirs := filepath.Join(dir, "theirs")
			grubEditenv(t, theirs, "create")
			grubEditenv(t, theirs, "set", VarActive+"="+st.Active, VarTrying+"="+st.Trying, VarTries+"="+string(rune('0'+st.Tries)))
			tb, err := os.ReadFile(theirs)
			if err != nil {
				t.Fatal(err)
			}
			ours, err := st.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(tb, ours) {
				t.Fatalf("grub-editenv wrote %q\nwe write %q", tb, ours)
			}
			mine := writeState(t, st)
			list := grubEditenv(t, mine, "list")
			want := VarActive + "=" + st.Active + "\n" + VarTrying + "=" + st.Trying + "\n" + VarTries + "=" + string(rune('0'+st.Tries)) + "\n"
			if list != want {
				t.Fatalf("grub-editenv list = %q, want %q", list, want)
			}
			// grub-editenv edits our block the way GRUB's save_env would,
			// and we read its result.
			grubEditenv(t, mine, "set", VarTries+"=0")
			got, err := Read(mine)
			if err != nil {
				t.Fatal(err)
			}
			if want := (State{st.Active, st.Trying, 0}); got != want {
				t.Fatalf("after grub-editenv set: %v, want %v", got, want)
			}
		})
	}
}
