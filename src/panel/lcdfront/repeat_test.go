package lcdfront

import (
	"io"
	"log/slog"
	"slices"
	"testing"

	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/lcd"
)

// Each frame drawn sets the keypad's auto-repeat to whether a text field
// is being edited.
func TestDrawSetsAutoRepeat(t *testing.T) {
	var repeat []bool
	editing := false
	d := &display{
		lcd:         lcd.NewTerminal(io.Discard, frame.LCD16x2(), lcd.TerminalOptions{}),
		log:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		setRepeat:   func(on bool) { repeat = append(repeat, on) },
		textEditing: func() bool { return editing },
	}
	f := frame.Blank(frame.LCD16x2())
	for _, e := range []bool{false, true, true, false} {
		editing = e
		if err := d.Draw(f); err != nil {
			t.Fatal(err)
		}
	}
	if want := []bool{false, true, true, false}; !slices.Equal(repeat, want) {
		t.Fatalf("auto-repeat set to %v, want %v", repeat, want)
	}
}
