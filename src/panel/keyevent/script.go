package keyevent

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseScript turns a key script such as `DOWN*3 ENTER "10.1.2.3" CLEAR`
// into events: key names (UP DOWN LEFT RIGHT ENTER CLEAR), NAME*n for n
// presses, and double-quoted strings (Go syntax) typed one rune at a time.
// Tests and tools use it to write down a walk through the menus.
func ParseScript(script string) ([]Event, error) {
	names := map[string]Key{"UP": Up, "DOWN": Down, "LEFT": Left, "RIGHT": Right, "ENTER": Enter, "CLEAR": Clear}
	var evs []Event
	s := strings.TrimSpace(script)
	for s != "" {
		if s[0] == '"' {
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				return nil, fmt.Errorf("key script: bad quoted string at %q: %w", s, err)
			}
			u, _ := strconv.Unquote(q)
			for _, r := range u {
				evs = append(evs, Type(r))
			}
			s = strings.TrimSpace(s[len(q):])
			continue
		}
		word, rest, _ := strings.Cut(s, " ")
		s = strings.TrimSpace(rest)
		n := 1
		if name, count, ok := strings.Cut(word, "*"); ok {
			var err error
			if n, err = strconv.Atoi(count); err != nil || n < 1 {
				return nil, fmt.Errorf("key script: bad repeat %q; want NAME*n with n >= 1", word)
			}
			word = name
		}
		k, ok := names[word]
		if !ok {
			return nil, fmt.Errorf("key script: unknown key %q; known: UP DOWN LEFT RIGHT ENTER CLEAR and \"quoted text\"", word)
		}
		for ; n > 0; n-- {
			evs = append(evs, Press(k))
		}
	}
	return evs, nil
}
