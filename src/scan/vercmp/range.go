package vercmp

import (
	"errors"
	"fmt"
	"strings"
)

// Op is a comparison operator of a range.
type Op string

// Operators of a range.
const (
	LT Op = "<"
	LE Op = "<="
	GT Op = ">"
	GE Op = ">="
	EQ Op = "="
	NE Op = "!="
)

// Constraint is one comparison: the version compared with Version by Op.
type Constraint struct {
	Op      Op
	Version Version
}

// Holds reports whether v satisfies the constraint.
func (c Constraint) Holds(v Version) bool {
	r := CompareVersions(v, c.Version)
	switch c.Op {
	case LT:
		return r < 0
	case LE:
		return r <= 0
	case GT:
		return r > 0
	case GE:
		return r >= 0
	case EQ:
		return r == 0
	case NE:
		return r != 0
	}
	return false
}

func (c Constraint) String() string { return string(c.Op) + " " + c.Version.String() }

// Range is a set of versions: alternatives (OR) of constraint lists (AND),
// written "A, B || C" (docs/signatures.md).
type Range struct {
	Any [][]Constraint
}

// MaxConstraints bounds the comparisons of one range.
const MaxConstraints = 32

// ParseRange reads a range: constraints "OP VERSION" separated by "," (all
// must hold), alternatives separated by "||". The versions must be valid
// dpkg versions (Parse).
func ParseRange(s string) (Range, error) {
	var r Range
	n := 0
	for _, alt := range strings.Split(s, "||") {
		var all []Constraint
		for _, part := range strings.Split(alt, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				return Range{}, errors.New("empty comparison (two separators in a row, or one at an end)")
			}
			c, err := parseConstraint(part)
			if err != nil {
				return Range{}, err
			}
			if n++; n > MaxConstraints {
				return Range{}, fmt.Errorf("more than %d comparisons", MaxConstraints)
			}
			all = append(all, c)
		}
		r.Any = append(r.Any, all)
	}
	return r, nil
}

func parseConstraint(s string) (Constraint, error) {
	var op Op
	for _, o := range []Op{LE, GE, NE, LT, GT, EQ} { // two-character operators first
		if strings.HasPrefix(s, string(o)) {
			op = o
			break
		}
	}
	if op == "" {
		return Constraint{}, fmt.Errorf("comparison %q: starts with none of < <= > >= = !=", s)
	}
	vs := strings.TrimSpace(s[len(op):])
	v, err := Parse(vs)
	if err != nil {
		return Constraint{}, fmt.Errorf("comparison %q: %w", s, err)
	}
	return Constraint{Op: op, Version: v}, nil
}

// Contains reports whether v lies in the range.
func (r Range) Contains(v Version) bool {
	for _, all := range r.Any {
		ok := true
		for _, c := range all {
			if !c.Holds(v) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (r Range) String() string {
	alts := make([]string, len(r.Any))
	for i, all := range r.Any {
		cs := make([]string, len(all))
		for k, c := range all {
			cs[k] = c.String()
		}
		alts[i] = strings.Join(cs, ", ")
	}
	return strings.Join(alts, " || ")
}
