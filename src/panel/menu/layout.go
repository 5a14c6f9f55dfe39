package menu

import (
	"strings"

	"picket.dev/picket/src/panel/fieldedit"
	"picket.dev/picket/src/panel/frame"
)

// wrapWords breaks s at spaces into at most len(widths) lines, line i at
// most widths[i] characters. ok is false when s does not fit that way.
func wrapWords(s string, widths []int) (lines []string, ok bool) {
	words := strings.Fields(s)
	i := 0
	for row := 0; row < len(widths) && i < len(words); row++ {
		line := ""
		for i < len(words) {
			next := words[i]
			if line != "" {
				next = line + " " + words[i]
			}
			if runeLen(next) > widths[row] {
				break
			}
			line = next
			i++
		}
		if line == "" {
			return nil, false // a word longer than the row
		}
		lines = append(lines, line)
	}
	return lines, i == len(words)
}

// wrapAll breaks s into lines of at most w characters, at spaces where it
// can and inside words longer than a line (IPv6 addresses, host names).
func wrapAll(s string, w int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		for runeLen(word) > w {
			if line != "" {
				lines = append(lines, line)
				line = ""
			}
			r := []rune(word)
			lines = append(lines, string(r[:w]))
			word = string(r[w:])
		}
		switch {
		case line == "":
			line = word
		case runeLen(line)+1+runeLen(word) <= w:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

func runeLen(s string) int { return len([]rune(s)) }

// textFrame draws the first of texts that fits g word-wrapped, the top row
// shortened by the indicators of nav. When none fits, the first is cut to
// the cells (a name or code longer than any display).
func textFrame(g frame.Geometry, nav frame.Nav, texts ...string) frame.Frame {
	f := frame.Blank(g)
	g = f.Geometry()
	widths := make([]int, g.Rows)
	for i := range widths {
		widths[i] = g.Cols
	}
	widths[0] -= nav.Width()
	for _, t := range texts {
		if lines, ok := wrapWords(t, widths); ok {
			for i, l := range lines {
				f.SetLine(i, l)
			}
			f.SetNav(nav)
			return f
		}
	}
	if len(texts) > 0 {
		r := []rune(strings.Join(strings.Fields(texts[0]), " "))
		for row := 0; row < g.Rows && len(r) > 0; row++ {
			n := min(widths[row], len(r))
			f.SetLine(row, string(r[:n]))
			r = r[n:]
		}
	}
	f.SetNav(nav)
	return f
}

// linesFrame draws a fixed first line and a page of body lines starting at
// off. The navigation gets LEFT/RIGHT when there is more to scroll to.
func linesFrame(g frame.Geometry, nav frame.Nav, head string, body []string, off int) frame.Frame {
	f := frame.Blank(g)
	g = f.Geometry()
	nav.Left = nav.Left || off > 0
	nav.Right = nav.Right || off+g.Rows-1 < len(body)
	f.SetLine(0, clip(head, g.Cols-nav.Width()))
	for i := 1; i < g.Rows && off+i-1 < len(body); i++ {
		f.SetLine(i, body[off+i-1])
	}
	f.SetNav(nav)
	return f
}

// scroll moves a page offset over body for LEFT (dir -1) or RIGHT (+1) and
// says whether it moved.
func scroll(g frame.Geometry, off *int, n, dir int) bool {
	page := g.Normalize().Rows - 1
	next := *off + dir*page
	if next < 0 || next >= n {
		return false
	}
	*off = next
	return true
}

func clip(s string, n int) string {
	r := []rune(s)
	if n < 0 {
		n = 0
	}
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// overlay puts a message over an editor's frame the way fieldedit shows
// its own: in place of the label and value on a 2- or 3-row display, on
// rows 3 and 4 of a larger one. The navigation indicators stay.
func overlay(f frame.Frame, msg *fieldedit.Message) frame.Frame {
	if msg == nil {
		return f
	}
	g := f.Geometry()
	f = f.Clone()
	if g.Rows < 4 {
		nav := navOf(f)
		f.SetLine(0, msg.Line1)
		f.SetLine(1, msg.Line2)
		f.SetNav(nav)
		f.HideCursor() // the value it pointed into is not on screen
		return f
	}
	f.SetLine(2, msg.Line1)
	f.SetLine(3, msg.Line2)
	return f
}

// navOf reads back the navigation indicators of a frame's top row.
func navOf(f frame.Frame) frame.Nav {
	var n frame.Nav
	for c := 0; c < f.Geometry().Cols; c++ {
		switch f.Glyph(0, c) {
		case frame.GlyphUp:
			n.Up = true
		case frame.GlyphDown:
			n.Down = true
		case frame.GlyphUpDown:
			n.Up, n.Down = true, true
		case frame.GlyphLeft:
			n.Left = true
		case frame.GlyphRight:
			n.Right = true
		case frame.GlyphLeftRight:
			n.Left, n.Right = true, true
		case frame.GlyphEnter:
			n.Enter = true
		}
	}
	return n
}
