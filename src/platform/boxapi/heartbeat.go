package boxapi

import (
	"errors"
	"fmt"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/store"
)

// A poll's heartbeat (what the box reports and when) is written behind:
// kept in memory and written for all boxes that polled in one transaction
// every FlushEvery, rather than one synced write per poll. Nothing of
// value can be lost by a crash in between: the answer to a poll depends
// only on what managers set (written at once) and on the request, and the
// box repeats its whole report at its next poll. What a crash loses is at
// most FlushEvery of "last seen" times. The web UI reads through Fresh, so
// it shows a heartbeat the moment it arrives.

// DefaultFlushEvery is how often heartbeats are written.
const DefaultFlushEvery = time.Second

// heartbeat is what one poll reports.
type heartbeat struct {
	LANv4, LANv6    []string
	Board           string
	Versions        platformapi.Versions
	Capacity        platformapi.Capacity
	SettingsVersion int64
	SettingsError   string
	PollFailures    int
	PollError       string
	Rollback        *platformapi.NetworkRollback
	RemoteAddr      string
	At              time.Time
}

// applyTo sets b's reported fields from h.
func (h heartbeat) applyTo(b *store.Box) {
	if h.At.Before(b.LastPoll) {
		return // an older heartbeat than the one already applied
	}
	b.LANv4, b.LANv6, b.Board, b.Versions, b.Capacity = h.LANv4, h.LANv6, h.Board, h.Versions, h.Capacity
	b.SettingsError, b.RemoteAddr = h.SettingsError, h.RemoteAddr
	b.PollFailures, b.PollError = h.PollFailures, h.PollError
	if h.Rollback != nil {
		// A box that lost its record (a factory reset) does not erase
		// the platform's.
		b.Rollback = h.Rollback
	}
	b.LastPoll = h.At
	if h.At.After(b.LastSeen) {
		b.LastSeen = h.At
	}
	if b.State != store.BoxActive {
		return
	}
	// The box's report is the truth (a reset box reports 0 and gets its
	// settings again), bounded by what exists.
	b.AppliedVer = max(0, min(h.SettingsVersion, b.Settings.Version))
	if b.AppliedVer >= b.Settings.Version && b.Settings.PollIntervalSeconds > 0 {
		b.PollIntervalSeconds = b.Settings.PollIntervalSeconds
	}
}

// record keeps h as the box's latest heartbeat and starts the flusher.
func (s *Server) record(id string, h heartbeat) {
	s.hbMu.Lock()
	if s.hbs == nil {
		s.hbs = map[string]heartbeat{}
	}
	if old, ok := s.hbs[id]; !ok || !h.At.Before(old.At) {
		if ok && h.Rollback == nil {
			// The rollback the replaced heartbeat reported stands.
			h.Rollback = old.Rollback
		}
		s.hbs[id] = h
	}
	s.hbMu.Unlock()
	s.flusher.Do(func() { go s.flushLoop() })
}

// Fresh applies b's unwritten heartbeat to b, for display: the latest
// one, or the one being written (a reader of the store does not see it
// before its transaction commits), or the one written last (b may have
// been read just before that commit; applying a heartbeat b already has
// changes nothing). A page whose read and Fresh lie a whole flush apart
// can still show a poll late; its next load shows it.
func (s *Server) Fresh(b *store.Box) {
	s.hbMu.Lock()
	h, ok := s.hbs[b.ID]
	if !ok {
		h, ok = s.flushing[b.ID]
	}
	if !ok {
		h, ok = s.flushed[b.ID]
	}
	s.hbMu.Unlock()
	if ok {
		h.applyTo(b)
	}
}

func (s *Server) flushLoop() {
	defer close(s.stopped)
	every := s.FlushEvery
	if every <= 0 {
		every = DefaultFlushEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if err := s.Flush(); err != nil {
				s.Log.Error("box api: write heartbeats", "err", err)
			}
		}
	}
}

// Flush writes the unwritten heartbeats now, in one transaction.
func (s *Server) Flush() error {
	s.hbMu.Lock()
	pending := s.hbs
	s.hbs, s.flushing = nil, pending
	s.hbMu.Unlock()
	var err error
	defer func() {
		s.hbMu.Lock()
		s.flushing = nil
		if err == nil && len(pending) > 0 {
			s.flushed = pending
		}
		s.hbMu.Unlock()
	}()
	if len(pending) == 0 {
		return nil
	}
	err = s.Store.Update(func(tx store.Tx) error {
		for id, h := range pending {
			b, err := tx.Box(id)
			if errors.Is(err, store.ErrNotFound) {
				continue // pruned meanwhile
			}
			if err != nil {
				return err
			}
			h.applyTo(&b)
			if err := tx.PutBox(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// Keep them for the next try, unless newer ones came meanwhile.
		s.hbMu.Lock()
		if s.hbs == nil {
			s.hbs = map[string]heartbeat{}
		}
		for id, h := range pending {
			if cur, ok := s.hbs[id]; !ok || cur.At.Before(h.At) {
				s.hbs[id] = h
			}
		}
		s.hbMu.Unlock()
		return fmt.Errorf("write %d heartbeats: %w", len(pending), err)
	}
	return nil
}

// Close stops the flusher and writes what is left. Call it before closing
// the store.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		started := true
		s.flusher.Do(func() { started = false })
		if started {
			close(s.stop)
			<-s.stopped
		}
	})
	return s.Flush()
}
