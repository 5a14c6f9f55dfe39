package lcdserial

import (
	"context"
	"fmt"
	"time"

	"picket.dev/picket/src/panel/keyevent"
	"picket.dev/picket/src/panel/keypad"
)

// Key codes of report 0x80 (LCDproc's CFP_KEY_*): presses 1-6, releases
// 7-12, in the order UP, DOWN, LEFT, RIGHT, ENTER, EXIT.
const (
	keyUpPress     = 1
	keyExitPress   = 6
	keyUpRelease   = 7
	keyExitRelease = 12
)

// keyChange is what a key code says: which key, and whether it went down.
// ok is false for codes that are not one of the five keys (EXIT, the
// CFA-631's corner keys, anything else).
func keyChange(code byte) (key keypad.Set, down, ok bool) {
	var i int
	switch {
	case code >= keyUpPress && code < keyExitPress:
		i, down = int(code-keyUpPress), true
	case code >= keyUpRelease && code < keyExitRelease:
		i = int(code - keyUpRelease)
	default:
		return 0, false, false
	}
	// Report order UP, DOWN, LEFT, RIGHT, ENTER is keypad's bit order.
	return [...]keypad.Set{keypad.Up, keypad.Down, keypad.Left, keypad.Right, keypad.Enter}[i], down, true
}

// SetRepeat turns auto-repeat of a held UP or DOWN on (a text field is
// being edited) or off. It may be called from any goroutine.
func (m *Module) SetRepeat(on bool) { m.kp.SetRepeat(on) }

// RunKeys turns the module's key reports into key events for emit, with
// the chord and repeat rules of package keypad. ticks (every
// keypad.PollEvery) let a lone LEFT or RIGHT out when its chord window
// closes and time the repeat. It returns nil when ctx ends, ticks is
// closed or the module is closed, and an error when the line fails.
func (m *Module) RunKeys(ctx context.Context, ticks <-chan time.Time, emit func(keyevent.Event)) error {
	var held keypad.Set
	var last time.Time
	// Reports carry the time they came; ticks carry theirs: feed them in a
	// time that never goes backwards.
	feed := func(at time.Time) {
		if at.Before(last) {
			at = last
		}
		last = at
		for _, ev := range m.kp.Feed(at, held) {
			emit(ev)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case now, ok := <-ticks:
			if !ok {
				return nil
			}
			feed(now)
		case <-m.keyc:
			m.mu.Lock()
			reports := m.keys
			m.keys = nil
			rerr := m.readErr
			m.mu.Unlock()
			for _, r := range reports {
				key, down, ok := keyChange(r.code)
				if !ok {
					m.log.Debug("LCD module: key code ignored", "code", r.code)
					continue
				}
				if down {
					held |= key
				} else {
					held &^= key
				}
				feed(r.at)
			}
			if rerr != nil {
				m.dmu.Lock()
				closed := m.closed
				m.dmu.Unlock()
				if closed || ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("lcdserial: reading the module's keys: %w", rerr)
			}
		}
	}
}
