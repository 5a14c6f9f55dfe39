package keyevent

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseScript(t *testing.T) {
	tests := []struct {
		script  string
		want    []Event
		wantErr string
	}{
		{script: "", want: nil},
		{script: "ENTER DOWN*2", want: []Event{Press(Enter), Press(Down), Press(Down)}},
		{script: `CLEAR "a b" UP`, want: []Event{Press(Clear), Type('a'), Type(' '), Type('b'), Press(Up)}},
		{script: `"\\x"`, want: []Event{Type('\\'), Type('x')}},
		{script: "LEFT RIGHT", want: []Event{Press(Left), Press(Right)}},
		{script: "ESC", wantErr: `unknown key "ESC"`},
		{script: "UP*0", wantErr: `bad repeat "UP*0"`},
		{script: "UP*x", wantErr: `bad repeat "UP*x"`},
		{script: `"open`, wantErr: "bad quoted string"},
	}
	for _, tt := range tests {
		got, err := ParseScript(tt.script)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseScript(%q) error = %v, want %q", tt.script, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseScript(%q) = %v, %v; want %v", tt.script, got, err, tt.want)
		}
	}
}
