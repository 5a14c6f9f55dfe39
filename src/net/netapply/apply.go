package netapply

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// Option changes how Apply works.
type Option func(*options)

type options struct {
	vlans      bool
	beforeStep func(desc string) error
}

// WithVLANs lets Apply create and delete 802.1Q VLAN links. Without it a
// State whose VLANs differ from the state in force is refused before any
// change, rather than applied without its VLANs.
func WithVLANs() Option { return func(o *options) { o.vlans = true } }

// WithBeforeStep calls f before each change with the change's description;
// an error from f fails the apply at that step (and rolls back the changes
// made before it). It exists to test rollback and to trace an apply.
func WithBeforeStep(f func(desc string) error) Option {
	return func(o *options) { o.beforeStep = f }
}

// step is one kernel change and the change that undoes it.
type step struct {
	desc     string
	do, undo func() error
}

// Apply changes the kernel state of k from cur, the state in force as
// Observe reads it, to want. It changes only what differs and
// returns a description of each change made; applying a State already in
// force returns no change. Links named in want must exist (or be VLANs in
// want, with WithVLANs). cur should be read for the links of both the
// previous and the wanted state (LinkNames of each), so that what is to be
// removed is seen.
//
// If a change fails, Apply undoes the changes it made, in reverse order,
// and returns the error; the state is then cur again. If undoing fails
// too, the error says so.
func Apply(k Kernel, cur, want State, opts ...Option) ([]string, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	steps, err := plan(k, cur, want, o)
	if err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	var done []string
	for i, st := range steps {
		err := error(nil)
		if o.beforeStep != nil {
			err = o.beforeStep(st.desc)
		}
		if err == nil {
			err = st.do()
		}
		if err != nil {
			err = fmt.Errorf("apply: %s: %w", st.desc, err)
			var undoErrs []error
			for j := i - 1; j >= 0; j-- {
				if uerr := steps[j].undo(); uerr != nil {
					undoErrs = append(undoErrs, fmt.Errorf("undo %s: %w", steps[j].desc, uerr))
				}
			}
			if len(undoErrs) > 0 {
				return nil, fmt.Errorf("%w; rollback incomplete: %w", err, errors.Join(undoErrs...))
			}
			return nil, fmt.Errorf("%w (rolled back %d changes)", err, i)
		}
		done = append(done, st.desc)
	}
	return done, nil
}

// plan lists the steps from cur to want. The order keeps every step valid:
// VLANs in, links up and sysctls first (promote_secondaries before
// addresses change); new addresses before the routes whose gateways they
// make reachable; old rules and routes out before new ones go in; old
// addresses after that, since removing a link's last address makes the
// kernel flush the routes on that link; then links down and VLANs out.
func plan(k Kernel, cur, want State, o options) ([]step, error) {
	var steps []step
	add := func(desc string, do, undo func() error) { steps = append(steps, step{desc, do, undo}) }

	curLinks := map[string]Link{}
	for _, l := range cur.Links {
		curLinks[l.Name] = l
	}
	newVLANs := diff(want.VLANs, cur.VLANs)
	oldVLANs := diff(cur.VLANs, want.VLANs)
	if (len(newVLANs) > 0 || len(oldVLANs) > 0) && !o.vlans {
		return nil, fmt.Errorf("%d 802.1Q VLAN links to create or remove; VLANs are applied only when asked (WithVLANs)", len(newVLANs)+len(oldVLANs))
	}
	created := map[string]bool{}
	for _, v := range newVLANs {
		created[v.Name] = true
		if _, ok := curLinks[v.Name]; ok {
			return nil, fmt.Errorf("%s: a link named %s exists and is not that VLAN", v, v.Name)
		}
	}
	// A link wanted down that does not exist is as good as down: the
	// virtual appliance may have one NIC, and its WAN is wanted down
	// unless split networking is on. Its per-link settings are moot.
	absent := map[string]bool{}
	for _, l := range want.Links {
		if _, ok := curLinks[l.Name]; !ok && !created[l.Name] {
			if l.Up {
				return nil, fmt.Errorf("link %s does not exist", l.Name)
			}
			absent[l.Name] = true
		}
	}
	// The kernel does not change an IPv4 address's flags in place, and
	// removing and re-adding it could flush the routes through its link;
	// such a change (only ever made outside netapply) is refused.
	for _, w := range want.Addrs {
		for _, c := range cur.Addrs {
			if w.Link == c.Link && w.Prefix == c.Prefix && w.NoPrefixRoute != c.NoPrefixRoute {
				return nil, fmt.Errorf("%s is in force as %s; remove it first", w, c)
			}
		}
	}

	for _, v := range newVLANs {
		add("add "+v.String(), func() error { return k.AddVLAN(v) }, func() error { return k.DeleteLink(v.Name) })
	}
	// Links to bring up come first; links to take down come last, since
	// taking a link down makes the kernel drop the routes through it.
	var downs []Link
	for _, l := range want.Links {
		if c, ok := curLinks[l.Name]; ok && c.Up == l.Up || !ok && !l.Up {
			continue
		}
		if !l.Up {
			downs = append(downs, l)
			continue
		}
		add("set link "+l.String(), func() error { return k.SetLinkUp(l.Name, true) }, func() error { return k.SetLinkUp(l.Name, false) })
	}
	for _, key := range sortedKeys(want.Sysctls) {
		v := want.Sysctls[key]
		if old, ok := cur.Sysctls[key]; ok && old == v || absent[sysctlLink(key)] {
			continue
		}
		// The old value is read when the step runs, so undo restores what
		// was really there even if cur missed the key.
		var old string
		add(fmt.Sprintf("set sysctl %s=%s", key, v), func() error {
			var err error
			if old, err = k.ReadSysctl(key); err != nil {
				return err
			}
			return k.WriteSysctl(key, v)
		}, func() error { return k.WriteSysctl(key, old) })
	}
	for _, a := range diff(want.Addrs, cur.Addrs) {
		add("add "+a.String(), func() error { return k.AddAddr(a) }, func() error { return k.DeleteAddr(a) })
	}
	for _, r := range diff(cur.Rules, want.Rules) {
		add("delete "+r.String(), func() error { return k.DeleteRule(r) }, func() error { return k.AddRule(r) })
	}
	// On-link routes go in before the routes whose gateways they make
	// reachable (the management table's gateway is reachable only through
	// its on-link route), and come out after them.
	onLinkLast := func(a, b Route) int { return cmp.Compare(boolInt(!a.Gateway.IsValid()), boolInt(!b.Gateway.IsValid())) }
	dels, adds := diff(cur.Routes, want.Routes), diff(want.Routes, cur.Routes)
	slices.SortStableFunc(dels, onLinkLast)
	slices.SortStableFunc(adds, func(a, b Route) int { return onLinkLast(b, a) })
	for _, r := range dels {
		add("delete "+r.String(), func() error { return k.DeleteRoute(r) }, func() error { return k.AddRoute(r) })
	}
	for _, r := range adds {
		add("add "+r.String(), func() error { return k.AddRoute(r) }, func() error { return k.DeleteRoute(r) })
	}
	for _, r := range diff(want.Rules, cur.Rules) {
		add("add "+r.String(), func() error { return k.AddRule(r) }, func() error { return k.DeleteRule(r) })
	}
	for _, a := range diff(cur.Addrs, want.Addrs) {
		add("delete "+a.String(), func() error { return k.DeleteAddr(a) }, func() error { return k.AddAddr(a) })
	}
	for _, l := range downs {
		add("set link "+l.String(), func() error { return k.SetLinkUp(l.Name, false) }, func() error { return k.SetLinkUp(l.Name, true) })
	}
	for _, v := range oldVLANs {
		wasUp := curLinks[v.Name].Up
		add("delete "+v.String(), func() error { return k.DeleteLink(v.Name) }, func() error {
			if err := k.AddVLAN(v); err != nil {
				return err
			}
			if wasUp {
				return k.SetLinkUp(v.Name, true)
			}
			return nil
		})
	}
	return steps, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// diff returns the elements of a that are not in b.
func diff[T comparable](a, b []T) []T {
	var out []T
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
