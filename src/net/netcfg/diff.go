package netcfg

import (
	"fmt"
	"reflect"
	"strings"
)

// Change is one field that differs between two configurations. Old and New
// are display strings; a secret shows as Redacted (or "" when unset), so a
// Change is safe to log.
type Change struct {
	Field    string // JSON path, e.g. "lan.gateway", "platform.routes[2].gateway"
	Old, New string
}

func (c Change) String() string { return fmt.Sprintf("%s: %q -> %q", c.Field, c.Old, c.New) }

// Diff lists the fields that differ from a to b, in field order. A nil and
// an empty list are the same. netmgrd uses it to apply only what changed
// and to say what a change did.
func Diff(a, b Config) []Change {
	var out []Change
	diffValue(&out, "", reflect.ValueOf(a), reflect.ValueOf(b))
	return out
}

// Equal reports whether a and b are the same configuration (Diff is empty).
func Equal(a, b Config) bool { return len(Diff(a, b)) == 0 }

var secretType = reflect.TypeFor[Secret]()

func diffValue(out *[]Change, path string, a, b reflect.Value) {
	switch {
	case a.Type() == secretType:
		sa, sb := a.Interface().(Secret), b.Interface().(Secret)
		if !sa.Equal(sb) {
			// Both sides may print as Redacted; say that it changed.
			*out = append(*out, Change{Field: path, Old: sa.String(), New: sb.String() + " (changed)"})
		}
	case a.Kind() == reflect.Struct && !isLeafStruct(a.Type()):
		t := a.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			diffValue(out, join(path, jsonName(f)), a.Field(i), b.Field(i))
		}
	case a.Kind() == reflect.Slice:
		n := max(a.Len(), b.Len())
		for i := range n {
			p := fmt.Sprintf("%s[%d]", path, i)
			switch {
			case i >= a.Len():
				*out = append(*out, Change{Field: p, Old: "", New: fmt.Sprintf("%+v", b.Index(i).Interface())})
			case i >= b.Len():
				*out = append(*out, Change{Field: p, Old: fmt.Sprintf("%+v", a.Index(i).Interface()), New: ""})
			default:
				diffValue(out, p, a.Index(i), b.Index(i))
			}
		}
	default:
		if !a.Equal(b) {
			*out = append(*out, Change{Field: path, Old: display(a), New: display(b)})
		}
	}
}

// isLeafStruct reports struct types compared as one value: netip.Addr and
// netip.Prefix have only unexported fields.
func isLeafStruct(t reflect.Type) bool {
	for i := range t.NumField() {
		if t.Field(i).IsExported() {
			return false
		}
	}
	return true
}

func display(v reflect.Value) string {
	// A zero netip value prints as "invalid IP"; here it means "not set".
	if z, ok := v.Interface().(interface{ IsValid() bool }); ok && !z.IsValid() {
		return ""
	}
	if s, ok := v.Interface().(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprint(v.Interface())
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
