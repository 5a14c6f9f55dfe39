package netapi

import (
	"context"
	"sync"

	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/net/netstore"
)

// This file holds what every Manager implementation needs the same way:
// the caller's view of a configuration, the source of a loaded one, the
// errors of a refused or interrupted change, and the status broadcast
// behind Subscribe.

// View returns c as a caller may see it: without the proxy password.
func View(c netcfg.Config) ConfigView {
	v := ConfigView{Config: c.Clone(), ProxyPasswordSet: !c.Proxy.Password.IsZero()}
	v.Config.Proxy.Password = netcfg.Secret{}
	return v
}

// SourceOf says where a configuration loaded by netstore came from.
func SourceOf(ld netstore.Loaded) ConfigSource {
	cs := ConfigSource{MigratedFrom: ld.MigratedFrom}
	switch ld.Source {
	case netstore.FromStored:
		cs.Source = SourceStored
	case netstore.FromLastKnownGood:
		cs.Source = SourceLastKnownGood
	default:
		cs.Source = SourceDefaults
	}
	if ld.Reason != nil {
		cs.Reason = ld.Reason.Error()
	}
	return cs
}

// InvalidConfig turns a netcfg validation error into the *Error of a
// refused change: KindInvalidConfig, every problem listed, op as context.
func InvalidConfig(op string, err error) *Error { return invalidConfig(op, err) }

// Canceled is the *Error of an operation whose caller's context ended.
func Canceled(op string, err error) *Error {
	return &Error{Kind: KindCanceled, Message: op + ": " + err.Error(), Err: err}
}

// CloneTest returns a deep copy of t.
func CloneTest(t ConnTest) ConnTest {
	t.Steps = append([]Step(nil), t.Steps...)
	return t
}

// Hub hands statuses to subscribers. A subscriber's channel holds one
// status: a newer one replaces an unread one, so a slow reader gets the
// latest status rather than a queue (Status.Seq shows what it skipped).
// The zero Hub is ready to use; its methods are safe for concurrent use.
type Hub struct {
	mu   sync.Mutex
	subs map[chan Status]struct{}
	last Status
}

// Subscribe returns a channel that carries current first and then each
// status Publish is given, until ctx is done, when it is closed.
func (h *Hub) Subscribe(ctx context.Context, current Status) <-chan Status {
	ch := make(chan Status, 1)
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[chan Status]struct{}{}
	}
	ch <- current
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	context.AfterFunc(ctx, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.subs, ch)
		close(ch)
	})
	return ch
}

// Publish hands st to every subscriber without blocking. Only Publish
// sends, under h.mu, so after draining a full channel the send cannot
// block.
func (h *Hub) Publish(st Status) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.last = st
	for ch := range h.subs {
		select {
		case ch <- st:
		default:
			select {
			case <-ch:
			default:
			}
			ch <- st
		}
	}
}
