// Package rollout decides which boxes are told of which release: each
// account's managers roll a release of a channel (the software of one
// board, or the signature database) out to a stage of their boxes, a
// percentage first (membership by a stable hash of the box id, so raising
// the percentage only adds boxes) or one asset group, then everyone; a
// rollout may be paused. A box in the stage whose reported version is
// older (Debian order) than the release gets an update notice in its poll
// answer (Notices); the box's updater checks everything again against the
// signed metadata. It also says, for the web UI, whether a box runs a
// channel's latest release and how many boxes are on each version.
package rollout

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/releases"
	"picket.dev/picket/src/platform/store"
	"picket.dev/picket/src/scan/vercmp"
)

// NoSignatures is what a box without a signature database reports as its
// signatures version (platformlink.SignaturesNone).
const NoSignatures = "none"

// Bucket is the box's place (0 to 99) in the rollout of version in
// channel: the first 8 bytes of SHA-256("picket-rollout\n" + channel +
// "\n" + version + "\n" + box id), big-endian, modulo 100. A rollout to
// P percent reaches the boxes whose bucket is below P. The release is in
// the hash so that the first boxes differ from one release to the next.
func Bucket(channel, version, boxID string) int {
	sum := sha256.Sum256([]byte("picket-rollout\n" + channel + "\n" + version + "\n" + boxID))
	return int(binary.BigEndian.Uint64(sum[:8]) % 100)
}

// InStage reports whether b is in r's current stage (paused or not).
func InStage(r store.Rollout, b store.Box) bool {
	switch {
	case b.State != store.BoxActive || b.Account != r.Account:
		return false
	case r.Everyone:
		return true
	case r.Group != "":
		return b.AssetGroup == r.Group
	default:
		return Bucket(r.Channel, r.Version, b.ID) < r.Percent
	}
}

// Older reports whether a box reporting version reported should get
// release: it reports nothing (or no signatures), or an older version in
// Debian order. A development build ("dev") orders after every number, so
// it is never told to update.
func Older(reported, release string) bool {
	if reported == "" || reported == NoSignatures {
		return true
	}
	return vercmp.Compare(reported, release) < 0
}

// compare orders versions as Older does: nothing reported (or no
// signatures) before every version.
func compare(a, b string) int {
	an, bn := a == "" || a == NoSignatures, b == "" || b == NoSignatures
	switch {
	case an && bn:
		return strings.Compare(a, b)
	case an:
		return -1
	case bn:
		return 1
	}
	return vercmp.Compare(a, b)
}

// ChannelOf is b's channel for a notice kind: its board's software, or
// the signatures ("" when b reports no board).
func ChannelOf(kind string, b store.Box) string {
	if kind == platformapi.UpdateSignatures {
		return store.ChannelSignatures
	}
	if b.Board == "" {
		return ""
	}
	return store.ChannelSoftwarePrefix + b.Board
}

// Reported is b's reported version in channel.
func Reported(channel string, b store.Box) string {
	if channel == store.ChannelSignatures {
		return b.Versions.Signatures
	}
	return b.Versions.Scanner
}

func kindOf(channel string) string {
	if channel == store.ChannelSignatures {
		return platformapi.UpdateSignatures
	}
	return platformapi.UpdateSoftware
}

// Notices are the update notices for b under rs (its account's rollouts)
// and the repository's catalog: one per channel of b's whose rollout is
// not paused, whose release the repository still lists, whose stage b is
// in and whose version is newer than b's.
func Notices(rs []store.Rollout, cat releases.Catalog, b store.Box) []platformapi.UpdateNotice {
	var out []platformapi.UpdateNotice
	for _, kind := range []string{platformapi.UpdateSoftware, platformapi.UpdateSignatures} {
		ch := ChannelOf(kind, b)
		i := slices.IndexFunc(rs, func(r store.Rollout) bool { return r.Channel == ch })
		if ch == "" || i < 0 {
			continue
		}
		r := rs[i]
		rel, ok := cat.Release(ch, r.Version)
		if r.Paused || !ok || rel.Target != r.Target || !InStage(r, b) || !Older(Reported(ch, b), r.Version) {
			continue
		}
		out = append(out, platformapi.UpdateNotice{Kind: kind, Version: r.Version, Target: r.Target, Force: r.Force})
	}
	return out
}

// Latest says whether reported is channel's latest release: "" when the
// repository has none, "latest", or "latest is V".
func Latest(cat releases.Catalog, channel, reported string) string {
	l, ok := cat.Latest(channel)
	switch {
	case !ok || channel == "":
		return ""
	case Older(reported, l.Version):
		return "latest is " + l.Version
	default:
		return "latest"
	}
}

// FormError is a rollout form refused as typed; its message is for the
// person.
type FormError struct{ Msg string }

func (e *FormError) Error() string { return e.Msg }

func formErr(format string, args ...any) error { return &FormError{Msg: fmt.Sprintf(format, args...)} }

// Actions of the rollout form.
const (
	ActionStart    = "start"    // roll Version out to the stage (Percent or Group)
	ActionPause    = "pause"    // stop sending notices
	ActionResume   = "resume"   // send them again
	ActionEveryone = "everyone" // the last stage: every box of the account
)

// Form is the rollout form of one channel as typed.
type Form struct {
	Channel, Action, Version string
	// Stage is "percent" or "group".
	Stage, Percent, Group string
	Force                 bool
}

// Apply carries out f for u, a manager (unit managers may not roll
// releases out: a rollout reaches every box of the account), on the
// account's rollout of f.Channel, and returns the rollout stored. audit,
// when not nil, appends the change's audit entry in the same transaction
// (the rollout as stored): an audit error undoes the change, so no
// rollout changes without its entry (it may run again after a conflict).
func Apply(st store.Store, u store.User, cat releases.Catalog, f Form, now time.Time, audit func(tx store.Tx, r store.Rollout) error) (store.Rollout, error) {
	if u.Role != store.RoleManager {
		return store.Rollout{}, formErr("only managers roll releases out")
	}
	if f.Channel != store.ChannelSignatures && (!strings.HasPrefix(f.Channel, store.ChannelSoftwarePrefix) || f.Channel == store.ChannelSoftwarePrefix) {
		return store.Rollout{}, formErr("no update channel %q", platformapi.ClipText(f.Channel, 64))
	}
	var r store.Rollout
	err := st.Update(func(tx store.Tx) error {
		old, err := tx.Rollout(u.Account, f.Channel)
		exists := err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		r = old
		switch f.Action {
		case ActionStart:
			rel, ok := cat.Release(f.Channel, f.Version)
			if !ok {
				return formErr("the repository lists no release %q in %s", platformapi.ClipText(f.Version, 64), f.Channel)
			}
			if !exists || old.Version != rel.Version {
				r = store.Rollout{Account: u.Account, Channel: f.Channel, Started: now}
			}
			r.Version, r.Target, r.Force, r.Paused, r.Everyone = rel.Version, rel.Target, f.Force, false, false
			switch f.Stage {
			case "percent":
				p, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(f.Percent), "%")))
				if err != nil || p < 0 || p > 100 {
					return formErr("percentage %q: a whole number from 0 to 100", platformapi.ClipText(f.Percent, 16))
				}
				r.Percent, r.Group = p, ""
			case "group":
				g := strings.TrimSpace(f.Group)
				if g == "" || len(g) > 64 {
					return formErr("asset group: name one (at most 64 bytes)")
				}
				r.Percent, r.Group = 0, g
			default:
				return formErr("stage %q: a percentage or an asset group", platformapi.ClipText(f.Stage, 16))
			}
		case ActionPause, ActionResume, ActionEveryone:
			if !exists {
				return formErr("no rollout in %s to %s: start one first", f.Channel, f.Action)
			}
			switch f.Action {
			case ActionPause:
				r.Paused = true
			case ActionResume:
				r.Paused = false
			default:
				r.Everyone, r.Paused = true, false
			}
		default:
			return formErr("action %q: start, pause, resume or everyone", platformapi.ClipText(f.Action, 16))
		}
		r.UpdatedBy, r.Updated = u.Name, now
		if err := tx.PutRollout(r); err != nil {
			return err
		}
		if audit != nil {
			if err := audit(tx, r); err != nil {
				return fmt.Errorf("audit log: %w", err)
			}
		}
		return nil
	})
	return r, err
}

// VersionCount is how many boxes report a version.
type VersionCount struct {
	Version string
	Boxes   int
}

// Channel is one channel as the releases page shows it.
type Channel struct {
	Name     string
	Kind     string
	Releases []releases.Release
	Rollout  *store.Rollout
	// Versions count the boxes of the channel (of its board) by reported
	// version, newest first; InStage and Notified those in the rollout's
	// stage and those told of it now (in the stage, older, not paused).
	Versions          []VersionCount
	InStage, Notified int
	Boxes             int
}

// Summarize is the releases page's view of the catalog's channels and
// those of rollouts (a release may have left the repository), with
// boxes (the account's active boxes) counted per channel.
func Summarize(cat releases.Catalog, rs []store.Rollout, boxes []store.Box) []Channel {
	names := cat.ChannelNames()
	for _, r := range rs {
		if !slices.Contains(names, r.Channel) {
			names = append(names, r.Channel)
		}
	}
	slices.Sort(names)
	var out []Channel
	for _, name := range names {
		c := Channel{Name: name, Kind: kindOf(name), Releases: cat.Channels[name]}
		if i := slices.IndexFunc(rs, func(r store.Rollout) bool { return r.Channel == name }); i >= 0 {
			r := rs[i]
			c.Rollout = &r
		}
		counts := map[string]int{}
		for _, b := range boxes {
			if b.State != store.BoxActive || ChannelOf(c.Kind, b) != name {
				continue
			}
			c.Boxes++
			counts[Reported(name, b)]++
			if c.Rollout != nil && InStage(*c.Rollout, b) {
				c.InStage++
				if len(Notices([]store.Rollout{*c.Rollout}, cat, b)) > 0 {
					c.Notified++
				}
			}
		}
		for v, n := range counts {
			c.Versions = append(c.Versions, VersionCount{v, n})
		}
		slices.SortFunc(c.Versions, func(a, b VersionCount) int { return compare(b.Version, a.Version) })
		out = append(out, c)
	}
	return out
}
