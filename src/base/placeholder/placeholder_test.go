package placeholder

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"picket.dev/picket/src/base/version"
)

func TestRun(t *testing.T) {
	extraRan := false
	prog := Program{
		Name: "lcdd", Role: "drives the LCD", Issue: 3,
		Extra: func(w io.Writer, info version.Info) error {
			extraRan = true
			return errors.New("no GPIO here")
		},
	}
	tests := []struct {
		name       string
		args       []string
		code       int
		wantOut    []string
		notOut     []string
		wantErr    string
		wantExtras bool
	}{
		{
			name: "summary", code: 0,
			wantOut:    []string{"lcdd dev board=virtual ", "board: x86_64 virtual appliance", "role: drives the LCD", "arrives with issue #3"},
			wantErr:    "lcdd: no GPIO here",
			wantExtras: true,
		},
		{name: "version only", args: []string{"-version"}, code: 0, wantOut: []string{"lcdd dev board=virtual "}, notOut: []string{"role:"}},
		{name: "stray argument", args: []string{"start"}, code: 2, wantErr: `unexpected argument "start"`},
		{name: "unknown flag", args: []string{"-x"}, code: 2, wantErr: "flag provided but not defined: -x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			extraRan = false
			var out, errb bytes.Buffer
			if code := Main(prog, tt.args, &out, &errb); code != tt.code {
				t.Fatalf("exit code %d, want %d (stderr %q)", code, tt.code, errb.String())
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout %q lacks %q", out.String(), w)
				}
			}
			for _, w := range tt.notOut {
				if strings.Contains(out.String(), w) {
					t.Errorf("stdout %q has %q", out.String(), w)
				}
			}
			if !strings.Contains(errb.String(), tt.wantErr) {
				t.Errorf("stderr %q lacks %q", errb.String(), tt.wantErr)
			}
			if extraRan != tt.wantExtras {
				t.Errorf("Extra ran = %v, want %v", extraRan, tt.wantExtras)
			}
		})
	}
}

func TestLaterIssue(t *testing.T) {
	var out bytes.Buffer
	Main(Program{Name: "updaterd", Role: "updates"}, nil, &out, io.Discard)
	if !strings.Contains(out.String(), "arrives with a later issue") {
		t.Errorf("stdout %q does not say the issue is not filed yet", out.String())
	}
}
