package keyevent

import "testing"

func TestEventValid(t *testing.T) {
	tests := []struct {
		ev   Event
		want bool
	}{
		{Press(Up), true},
		{Press(Down), true},
		{Press(Left), true},
		{Press(Right), true},
		{Press(Enter), true},
		{Press(Clear), true},
		{Type('a'), true},
		{Type(' '), true},
		{Type('é'), true},
		{Press(None), false},
		{Event{Key: Up, Rune: 'x'}, false},
		{Type('\r'), false},
		{Type(0x7f), false},
		{Type(0x9b), false}, // C1 CSI
		{Type(-1), false},
		{Type(0x110000), false},
		{Event{Key: 42}, false},
	}
	for _, tt := range tests {
		if got := tt.ev.Valid(); got != tt.want {
			t.Errorf("%v.Valid() = %v, want %v", tt.ev, got, tt.want)
		}
	}
}

func TestEventString(t *testing.T) {
	tests := []struct {
		ev   Event
		want string
	}{
		{Press(Up), "UP"},
		{Press(Clear), "CLEAR"},
		{Type('x'), "'x'"},
		{Type(' '), "' '"},
		{Event{Key: 42}, "Key(42)"},
	}
	for _, tt := range tests {
		if got := tt.ev.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestKeyNamesDistinct(t *testing.T) {
	seen := map[string]Key{}
	for k := None; k <= Char; k++ {
		n := k.String()
		if prev, dup := seen[n]; dup {
			t.Errorf("keys %d and %d are both named %q", prev, k, n)
		}
		seen[n] = k
	}
	if got := Key(200).String(); got != "Key(200)" {
		t.Errorf("unknown key named %q", got)
	}
}
