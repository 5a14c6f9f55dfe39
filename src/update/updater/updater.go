// Package updater is updaterd's core: it takes the platform link's
// hand-over after each poll (the management path, the platform's time,
// the update notices), refreshes the signed TUF metadata with a trusted
// time, and installs what the notices name when the metadata vouches for
// it and it is newer than what runs. Software goes into the idle A/B slot
// (a delta from the running slot's chunks, else the whole image, resumed
// where it stopped), is verified, its signed manifest handed to init, the
// slot tried and the box rebooted; once the new slot reaches the platform
// (a hand-over arrives) init is told it is good. Signatures go to scannerd,
// which verifies and switches them atomically.
//
// Every step is recorded in a journal on the data partition before it is
// taken (/data/updates/state.json), so a restart at any point (SIGKILL,
// power cut) resumes or restarts the install cleanly; the running slot is
// only ever read. The rule for a new slot that is rolled back is in
// docs/updates.md ("When a new slot is kept").
package updater

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"sync"
	"time"

	"picket.dev/picket/src/base/atomicfile"
	"picket.dev/picket/src/base/clock"
	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/scan/scanapi"
	"picket.dev/picket/src/scan/vercmp"
	"picket.dev/picket/src/system/initapi"
	"picket.dev/picket/src/system/manifest"
	"picket.dev/picket/src/system/slots"
	"picket.dev/picket/src/update/chunks"
	"picket.dev/picket/src/update/slotwriter"
	"picket.dev/picket/src/update/tuf"
	"picket.dev/picket/src/update/updateapi"
)

// Names in the data partition.
const (
	// JournalName is the updater's journal.
	JournalName = "updates/state.json"
	// SlotJournalName is slotwriter's resume journal.
	SlotJournalName = "updates/slot.journal"
)

// MaxClockSkew is how far the system clock may be from the platform's
// before the platform's time is taken for metadata expiry.
const MaxClockSkew = 5 * time.Minute

// Errors the updater reports.
var (
	// ErrOlder: a target whose version is not newer than the one in force.
	ErrOlder = errors.New("not newer than the version in force")
	// ErrNoTrustedTime: no poll has answered yet, so metadata expiry
	// cannot be checked on a box without a real-time clock.
	ErrNoTrustedTime = errors.New("no trusted time yet (no poll has answered)")
	// ErrFailedBefore: the version was installed, rolled back and did not
	// reach the platform: it is not retried until a newer one is named.
	ErrFailedBefore = errors.New("failed before")
	// ErrNoInit: updaterd runs without init.sock (Config.Init nil), so
	// it can write no slot and reboot into none: software updates are
	// off, signature updates are not.
	ErrNoInit = errors.New("software updates are off: no init.sock")
	// ErrNoBoot: init has not told the booted slot yet (it is asked again
	// every 2 s); software waits for it, signatures do not.
	ErrNoBoot = errors.New("the booted slot is not known yet (init.sock does not answer)")
)

// Metadata is the signed update repository as one hand-over reaches it
// (package tuf's Client and its Downloader).
type Metadata interface {
	Refresh(ctx context.Context, refTime time.Time) error
	Target(path string) (tuf.Info, error)
	TargetURL(info tuf.Info) string
	// Fetch writes length bytes of url from offset on to w (HTTP Range).
	Fetch(ctx context.Context, url string, offset, length int64, w io.Writer) (int64, error)
}

// Scanner is scannerd's API as the updater uses it (scanapi.Client).
type Scanner interface {
	State(ctx context.Context) (scanapi.State, error)
	InstallSignatures(ctx context.Context, pkg []byte) (scanapi.Signatures, error)
}

// Config is what an Updater needs.
type Config struct {
	Clock clock.Clock
	// Data is the data partition; the journals live under updates/.
	Data atomicfile.FS
	// Init is init.sock; nil: none (a box or test without init), then
	// software updates are off (ErrNoInit) and signature updates work.
	Init initapi.Init
	// Metadata opens the update repository at the platform's base URL
	// through hc (the management path's client).
	Metadata func(platform string, hc *http.Client) (Metadata, error)
	// HTTP is the client of a hand-over's management path (mgmthttp).
	HTTP func(l updateapi.Link) *http.Client
	// SlotDevice is the block device (a file in tests) of a slot.
	SlotDevice func(slot string) (string, error)
	// Keys are the release keys a slot's manifest must verify with.
	Keys []ed25519.PublicKey
	// Board and Version are the running image's.
	Board, Version string
	// Scanner installs signatures; nil: none.
	Scanner Scanner
	Log     *slog.Logger
	// TrialPeriod is how long the old slot, after a rollback, has to
	// reach the platform before the rollback counts as an outage
	// (docs/updates.md); 0 means 10 minutes.
	TrialPeriod time.Duration
	// LocalHealth is how long a retried slot (after an outage) runs
	// before the updater vouches for it on local health alone; 0 means
	// 2 minutes.
	LocalHealth time.Duration
	// CommitEvery is slotwriter's commit interval (0: its default).
	CommitEvery int64
}

// journal is the updater's record on the data partition.
type journal struct {
	// Phase is "" (idle) or an updateapi phase of a software install:
	// downloading, verifying, installing, rebooting; or rolledBack.
	Phase   string `json:"phase,omitempty"`
	Kind    string `json:"kind,omitempty"`
	Version string `json:"version,omitempty"`
	Target  string `json:"target,omitempty"`
	// Slot is the slot written; From the slot that ran the install.
	Slot  string `json:"slot,omitempty"`
	From  string `json:"from,omitempty"`
	Bytes int64  `json:"bytes,omitempty"`
	// LocalGood: this install retries a version whose rollback was an
	// outage; its slot is vouched for on local health.
	LocalGood bool `json:"local_good,omitempty"`
	// RolledBack is when the rollback was found.
	RolledBack time.Time `json:"rolled_back,omitzero"`
	// Failed are versions that did not reach the platform, and why.
	Failed map[string]string `json:"failed,omitempty"`
	// Outage is a version rolled back while the platform was out of
	// reach: retried, and kept on local health.
	Outage string `json:"outage,omitempty"`
}

const phaseRolledBack = "rolled-back"

// Updater is updaterd's core; it implements updateapi.Updater.
type Updater struct {
	cfg Config
	log *slog.Logger

	mu     sync.Mutex
	st     updateapi.State
	link   *updateapi.Link
	recvAt time.Time // the clock when link arrived
	kick   chan struct{}

	j    journal // Run's goroutine only
	boot initapi.Boot
	// booted: boot is init's answer (Run's goroutine only).
	booted bool
}

// New loads the journal.
func New(cfg Config) (*Updater, error) {
	if cfg.Clock == nil || cfg.Data == nil || cfg.Metadata == nil || cfg.HTTP == nil || cfg.SlotDevice == nil {
		return nil, errors.New("updater: clock, data, metadata, HTTP and slot devices are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.TrialPeriod <= 0 {
		cfg.TrialPeriod = 10 * time.Minute
	}
	if cfg.LocalHealth <= 0 {
		cfg.LocalHealth = 2 * time.Minute
	}
	u := &Updater{cfg: cfg, log: cfg.Log, kick: make(chan struct{}, 1)}
	u.st = updateapi.State{Phase: updateapi.PhaseIdle, Software: cfg.Version, Signatures: "none"}
	if err := cfg.Data.MkdirAll(path.Dir(JournalName), 0o700); err != nil {
		return nil, fmt.Errorf("updater: %w", err)
	}
	b, err := atomicfile.ReadFile(cfg.Data, JournalName)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("updater: read journal: %w", err)
	default:
		// Lenient: a journal of another slot's version may carry more.
		if err := json.Unmarshal(b, &u.j); err != nil {
			u.log.Warn("journal does not parse; starting afresh", "err", err)
			u.j = journal{}
		}
	}
	return u, nil
}

// State implements updateapi.Updater.
func (u *Updater) State() updateapi.State {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.st
}

// Handover implements updateapi.Updater: it records the hand-over and
// wakes Run.
func (u *Updater) Handover(_ context.Context, l updateapi.Link) (updateapi.State, error) {
	u.mu.Lock()
	u.link, u.recvAt = &l, u.cfg.Clock.Now()
	st := u.st
	u.mu.Unlock()
	select {
	case u.kick <- struct{}{}:
	default:
	}
	return st, nil
}

func (u *Updater) setState(f func(st *updateapi.State)) {
	u.mu.Lock()
	f(&u.st)
	u.mu.Unlock()
}

func (u *Updater) phase(p string, percent int) {
	u.setState(func(st *updateapi.State) {
		st.Phase, st.Percent = p, percent
		if p == updateapi.PhaseIdle {
			st.Kind, st.Pending = "", ""
		}
	})
}

func (u *Updater) fail(err error) {
	u.log.Warn("update failed", "err", err)
	u.setState(func(st *updateapi.State) {
		st.Phase, st.Percent, st.Error = updateapi.PhaseFailed, 0, err.Error()
	})
}

func (u *Updater) save() error {
	b, err := json.Marshal(u.j)
	if err != nil {
		return fmt.Errorf("updater: encode journal: %w", err)
	}
	if err := atomicfile.WriteFS(u.cfg.Data, JournalName, b, 0o600); err != nil {
		return fmt.Errorf("updater: write journal: %w", err)
	}
	return nil
}

// trustedTime is the time metadata expiry is checked against: the system
// clock, unless it is more than MaxClockSkew from the platform's (its
// time in the last poll answer plus the time since), then the platform's.
// Zero until a poll has answered with a time.
func (u *Updater) trustedTime(l updateapi.Link, recvAt time.Time) time.Time {
	if l.PlatformTime.IsZero() {
		return time.Time{}
	}
	now := u.cfg.Clock.Now()
	platform := l.PlatformTime.Add(now.Sub(recvAt))
	if d := now.Sub(platform); d > MaxClockSkew || d < -MaxClockSkew {
		return platform
	}
	return now
}

// Run works until ctx ends: it learns the boot state from init, settles
// what the journal left (a new slot to vouch for, a rollback, an install
// to resume), and acts on each hand-over. Hand-overs are acted on while
// init has not answered yet (or when there is no init): signatures are
// installed, software waits for the boot state.
func (u *Updater) Run(ctx context.Context) error {
	var bootRetry, outage, localHealth <-chan time.Time
	askInit := func(first bool) {
		b, err := u.cfg.Init.Boot(ctx)
		if err != nil {
			if first {
				u.log.Warn("boot state from init; retrying every 2 s (signature updates meanwhile, software waits)", "err", err)
			}
			bootRetry = u.cfg.Clock.After(2 * time.Second)
			return
		}
		u.boot, u.booted, bootRetry = b, true, nil
		u.setState(func(st *updateapi.State) { st.Slot = b.Slot })
		switch u.settle(ctx) {
		case waitOutage:
			outage = u.cfg.Clock.After(u.cfg.TrialPeriod - u.cfg.Clock.Now().Sub(u.j.RolledBack))
		case waitLocalHealth:
			localHealth = u.cfg.Clock.After(u.cfg.LocalHealth)
		}
	}
	if u.cfg.Init == nil {
		u.log.Warn("no init.sock: software updates are off; signature updates work")
	} else {
		askInit(true)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-bootRetry:
			askInit(false)
		case <-outage:
			if u.j.Phase == phaseRolledBack {
				u.log.Warn("the old slot did not reach the platform either within the trial period: an outage; the update will be retried and kept on local health", "version", u.j.Version)
				u.j = journal{Failed: u.j.Failed, Outage: u.j.Version}
				if err := u.save(); err != nil {
					u.fail(err)
				}
				u.phase(updateapi.PhaseIdle, 0)
			}
		case <-localHealth:
			u.vouch(ctx, "local health (the last rollback of this version was an outage)")
		case <-u.kick:
			u.mu.Lock()
			l, at := *u.link, u.recvAt
			u.mu.Unlock()
			u.handle(ctx, l, at)
		}
	}
}

type wait int

const (
	waitNothing wait = iota
	waitOutage
	waitLocalHealth
)

// settle acts on what the journal says against the booted slot.
func (u *Updater) settle(ctx context.Context) wait {
	j, b := &u.j, u.boot
	switch {
	case j.Phase == updateapi.PhaseRebooting && b.Slot == j.Slot:
		// The new slot runs.
		if b.OnTrial() && !b.Good {
			u.setState(func(st *updateapi.State) {
				st.Phase, st.Kind, st.Pending = updateapi.PhaseTrying, j.Kind, j.Version
			})
			if j.LocalGood {
				return waitLocalHealth
			}
			return waitNothing // a hand-over vouches for it
		}
		u.done()
	case j.Phase == updateapi.PhaseRebooting && b.Slot == j.From && b.Trying == j.Slot:
		// Killed between try and reboot, or the reboot did not happen:
		// ask again.
		u.phase(updateapi.PhaseRebooting, 100)
		if err := u.cfg.Init.Reboot(ctx); err != nil {
			u.fail(fmt.Errorf("reboot into slot %s: %w", j.Slot, err))
		}
	case j.Phase == updateapi.PhaseRebooting && b.Slot == j.From:
		// The new slot was tried and given up: rolled back.
		u.log.Warn("rolled back: the new slot did not come up as good", "version", j.Version, "slot", j.Slot)
		j.Phase, j.RolledBack = phaseRolledBack, u.cfg.Clock.Now()
		if err := u.save(); err != nil {
			u.fail(err)
		}
		fallthrough
	case j.Phase == phaseRolledBack:
		u.setState(func(st *updateapi.State) {
			st.Phase, st.Error = updateapi.PhaseFailed, fmt.Sprintf("%s was rolled back", j.Version)
		})
		return waitOutage
	case j.Phase != "" && b.Slot != j.From:
		// An install the other slot began: its bytes are in this slot,
		// which runs. Nothing to resume.
		u.log.Warn("journal of an install begun by the other slot; dropped", "version", j.Version)
		u.j = journal{Failed: j.Failed, Outage: j.Outage}
		u.save()
	}
	return waitNothing
}

// done closes an install whose slot is now good.
func (u *Updater) done() {
	u.log.Info("update in force", "version", u.j.Version, "slot", u.boot.Slot)
	u.j = journal{Failed: u.j.Failed}
	if err := u.save(); err != nil {
		u.fail(err)
		return
	}
	u.phase(updateapi.PhaseIdle, 0)
}

// vouch tells init the slot on trial is good.
func (u *Updater) vouch(ctx context.Context, why string) {
	if u.j.Phase != updateapi.PhaseRebooting || u.boot.Slot != u.j.Slot {
		return
	}
	if err := u.cfg.Init.Good(ctx); err != nil {
		u.fail(fmt.Errorf("tell init slot %s is good: %w", u.boot.Slot, err))
		return
	}
	u.log.Info("slot on trial vouched for", "slot", u.boot.Slot, "why", why)
	u.boot.Good = true
	u.done()
}

// handle acts on one hand-over. A notice that fails does not hold up the
// other channel's: the state reports the first failure.
func (u *Updater) handle(ctx context.Context, l updateapi.Link, at time.Time) {
	switch {
	case !u.booted:
		// The journal's slot verdicts need the boot state.
	case u.j.Phase == updateapi.PhaseRebooting && u.boot.Slot == u.j.Slot:
		u.vouch(ctx, "it reached the platform")
	case u.j.Phase == phaseRolledBack:
		// The old slot reaches the platform: the new one did not.
		why := "did not reach the platform"
		u.log.Warn("update failed: the new slot "+why+" and was rolled back", "version", u.j.Version)
		if u.j.Failed == nil {
			u.j.Failed = map[string]string{}
		}
		u.j.Failed[u.j.Version] = why
		u.j = journal{Failed: u.j.Failed}
		if err := u.save(); err != nil {
			u.fail(err)
		}
		u.setState(func(st *updateapi.State) { st.Error = "" })
	}
	var failed error
	for _, n := range l.Updates {
		var err error
		switch n.Kind {
		case platformapi.UpdateSoftware:
			err = u.software(ctx, l, at, n)
		case platformapi.UpdateSignatures:
			err = u.signatures(ctx, l, at, n)
		default:
			continue
		}
		if err != nil {
			err = fmt.Errorf("%s %s: %w", n.Kind, n.Version, err)
			if failed == nil {
				failed = err
			} else {
				u.log.Warn("update failed", "err", err)
			}
		}
	}
	if failed != nil {
		u.fail(failed)
		return
	}
	if st := u.State(); st.Phase != updateapi.PhaseTrying && st.Phase != updateapi.PhaseWaiting && st.Phase != updateapi.PhaseRebooting {
		u.setState(func(st *updateapi.State) {
			st.Phase, st.Percent, st.Kind, st.Pending, st.Error = updateapi.PhaseIdle, 0, "", "", ""
		})
	}
}

// refresh opens the repository through l's path and refreshes it.
func (u *Updater) refresh(ctx context.Context, l updateapi.Link, at time.Time) (Metadata, error) {
	ref := u.trustedTime(l, at)
	if ref.IsZero() {
		return nil, ErrNoTrustedTime
	}
	u.phase(updateapi.PhaseChecking, 0)
	m, err := u.cfg.Metadata(l.Platform, u.cfg.HTTP(l))
	if err != nil {
		return nil, err
	}
	if err := m.Refresh(ctx, ref); err != nil {
		return nil, err
	}
	u.setState(func(st *updateapi.State) { st.LastCheck = u.cfg.Clock.Now() })
	return m, nil
}

// target looks path up and checks it is the release the notice names.
func target(m Metadata, path, kind, version string) (tuf.Info, error) {
	info, err := m.Target(path)
	if err != nil {
		return tuf.Info{}, err
	}
	if info.Custom.Kind != kind || info.Custom.Version != version {
		return tuf.Info{}, fmt.Errorf("target %s is %s %s in the signed metadata, the notice says %s %s", path, info.Custom.Kind, info.Custom.Version, kind, version)
	}
	return info, nil
}

// fetchSmall downloads a whole small target and checks its sha256.
func fetchSmall(ctx context.Context, m Metadata, info tuf.Info) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := m.Fetch(ctx, m.TargetURL(info), 0, info.Length, &buf); err != nil {
		return nil, err
	}
	if sha256.Sum256(buf.Bytes()) != info.SHA256 || int64(buf.Len()) != info.Length {
		return nil, fmt.Errorf("target %s: bytes do not match the signed length and sha256", info.Path)
	}
	return buf.Bytes(), nil
}

// software installs the notice's release into the idle slot.
func (u *Updater) software(ctx context.Context, l updateapi.Link, at time.Time, n platformapi.UpdateNotice) error {
	if c := vercmp.Compare(n.Version, u.cfg.Version); c == 0 {
		return nil // up to date
	} else if c < 0 {
		return fmt.Errorf("%w (%s runs)", ErrOlder, u.cfg.Version)
	}
	if why, ok := u.j.Failed[n.Version]; ok {
		return fmt.Errorf("%w: %s; waiting for a newer release", ErrFailedBefore, why)
	}
	switch {
	case u.cfg.Init == nil:
		return ErrNoInit
	case !u.booted:
		return ErrNoBoot
	}
	if u.j.Phase == updateapi.PhaseRebooting || u.j.Phase == phaseRolledBack {
		return nil // settled by the slot's verdict or the outage rule
	}
	if u.boot.OnTrial() && !u.boot.Good {
		return nil // this slot is not good yet: do not overwrite the other
	}
	m, err := u.refresh(ctx, l, at)
	if err != nil {
		return err
	}
	img, err := target(m, n.Target, platformapi.UpdateSoftware, n.Version)
	if err != nil {
		return err
	}
	if img.Custom.Board != u.cfg.Board || path.Base(img.Path) != tuf.FileImage {
		return fmt.Errorf("target %s is not a slot image of board %s", img.Path, u.cfg.Board)
	}
	if l.ScanRunning && !n.Force {
		u.setState(func(st *updateapi.State) {
			st.Phase, st.Kind, st.Pending = updateapi.PhaseWaiting, n.Kind, n.Version
		})
		return nil
	}
	return u.install(ctx, m, img)
}

func (u *Updater) install(ctx context.Context, m Metadata, img tuf.Info) error {
	v := img.Custom.Version
	idle := slots.Other(u.boot.Slot)
	if idle == "" {
		return fmt.Errorf("booted slot %q: want a or b", u.boot.Slot)
	}
	if u.j.Phase == "" || u.j.Version != v || u.j.Slot != idle {
		// Never write a slot GRUB is set to try: an install that set
		// the trial but has not rebooted yet is settled first (by the
		// reboot the journal asks for again), so a power cut cannot
		// leave a half-written slot on trial.
		b, err := u.cfg.Init.Boot(ctx)
		if err != nil {
			return fmt.Errorf("boot state before writing slot %s: %w", idle, err)
		}
		if b.Trying == idle {
			return fmt.Errorf("slot %s is set to be tried by an install awaiting its reboot; %s waits for it", idle, v)
		}
		u.j = journal{Phase: updateapi.PhaseDownloading, Kind: platformapi.UpdateSoftware, Version: v, Target: img.Path,
			Slot: idle, From: u.boot.Slot, LocalGood: u.j.Outage == v, Failed: u.j.Failed, Outage: u.j.Outage}
		if err := u.save(); err != nil {
			return err
		}
	}
	u.setState(func(st *updateapi.State) {
		st.Phase, st.Kind, st.Pending, st.Error = updateapi.PhaseDownloading, platformapi.UpdateSoftware, v, ""
	})
	if u.j.Phase == updateapi.PhaseDownloading || u.j.Phase == updateapi.PhaseVerifying {
		if err := u.write(ctx, m, img, idle); err != nil {
			return err
		}
	}
	// The manifest: signed by the release key (the targets role's key),
	// for this board, describing exactly the image the metadata names.
	dir := path.Dir(img.Path)
	mi, err := target(m, dir+"/"+tuf.FileManifest, platformapi.UpdateSoftware, v)
	if err != nil {
		return err
	}
	signed, err := fetchSmall(ctx, m, mi)
	if err != nil {
		return err
	}
	man, err := manifest.Verify(signed, u.cfg.Keys)
	if err != nil {
		return err
	}
	if man.Board != u.cfg.Board || man.Version != v || man.Size != img.Length || man.SHA256 != hex.EncodeToString(img.SHA256[:]) {
		return fmt.Errorf("manifest of %s (board %s, version %s, %d bytes, sha256 %s) is not the signed target's", v, man.Board, man.Version, man.Size, man.SHA256)
	}
	u.j.Phase = updateapi.PhaseInstalling
	if err := u.save(); err != nil {
		return err
	}
	u.phase(updateapi.PhaseInstalling, 100)
	if err := u.cfg.Init.WriteManifest(ctx, idle, signed); err != nil {
		return err
	}
	// A restart after init set the trial (killed before the journal
	// said rebooting) finds it set: it is not set again, so the slot is
	// marked trying once. A trial of the idle slot while the box runs
	// the other is one not booted yet (GRUB clears a trial whose tries
	// are used up, the initramfs one whose slot does not verify), and
	// install never starts writing a slot set to be tried: it is this
	// install's.
	if b, err := u.cfg.Init.Boot(ctx); err == nil && b.Trying == idle && b.Tries > 0 {
		u.log.Info("slot already set to be tried", "slot", idle)
	} else if err := u.cfg.Init.Try(ctx, idle); err != nil {
		return err
	}
	if err := slotwriter.Discard(u.cfg.Data, SlotJournalName); err != nil {
		return err
	}
	u.j.Phase = updateapi.PhaseRebooting
	if err := u.save(); err != nil {
		return err
	}
	u.phase(updateapi.PhaseRebooting, 100)
	u.log.Info("slot written and verified; rebooting into it", "version", v, "slot", idle)
	return u.cfg.Init.Reboot(ctx)
}

// write puts the image into the idle slot and verifies it.
func (u *Updater) write(ctx context.Context, m Metadata, img tuf.Info, idle string) error {
	idlePath, err := u.cfg.SlotDevice(idle)
	if err != nil {
		return err
	}
	runPath, err := u.cfg.SlotDevice(u.boot.Slot)
	if err != nil {
		return err
	}
	devs, err := slotwriter.OpenDevices(idlePath, runPath)
	if err != nil {
		return err
	}
	defer devs.Close()
	w, err := slotwriter.Open(slotwriter.Config{
		Idle: devs.Idle, IdleSize: devs.IdleSize, Slot: idle, Journal: u.cfg.Data, JournalName: SlotJournalName,
		CommitEvery: u.cfg.CommitEvery,
		Progress: func(durable, total int64) {
			u.setState(func(st *updateapi.State) { st.Percent = int(durable * 100 / total) })
		},
	}, slotwriter.Target{Length: img.Length, SHA256: img.SHA256})
	if err != nil {
		return err
	}
	url := m.TargetURL(img)
	if w.Resumed() {
		u.log.Info("resuming the slot write", "offset", w.Offset(), "of", img.Length)
	}
	// A resumed write goes on as a delta too when it stopped at a chunk
	// boundary (a delta commits only there); else Delta says so and the
	// whole image goes on from the offset.
	if w.Offset() < img.Length {
		if err := u.delta(ctx, m, img, w, devs); err != nil {
			if !errors.Is(err, slotwriter.ErrDelta) {
				return err
			}
			u.log.Warn("delta download failed; the whole image from where it stopped", "offset", w.Offset(), "err", err)
		}
	}
	for attempt := 0; w.Offset() < img.Length; attempt++ {
		_, ferr := m.Fetch(ctx, url, w.Offset(), img.Length-w.Offset(), w)
		if err := w.Commit(); err != nil {
			return err
		}
		if ferr != nil {
			if attempt >= 2 || ctx.Err() != nil {
				return ferr
			}
			u.log.Warn("download interrupted; resuming", "offset", w.Offset(), "err", ferr)
		}
	}
	u.j.Phase, u.j.Bytes = updateapi.PhaseVerifying, w.Offset()
	if err := u.save(); err != nil {
		return err
	}
	u.phase(updateapi.PhaseVerifying, 100)
	if err := w.Finish(); err != nil {
		u.j.Phase = updateapi.PhaseDownloading
		u.save()
		return err
	}
	return nil
}

// delta assembles the image from the running slot's chunks and fetched
// ranges; an error matching slotwriter.ErrDelta is one the whole image
// gets past.
func (u *Updater) delta(ctx context.Context, m Metadata, img tuf.Info, w *slotwriter.Writer, devs *slotwriter.Devices) error {
	ci, err := target(m, path.Dir(img.Path)+"/"+tuf.FileChunks, platformapi.UpdateSoftware, img.Custom.Version)
	if err != nil {
		return &slotwriter.DeltaError{Err: err}
	}
	b, err := fetchSmall(ctx, m, ci)
	if err != nil {
		return &slotwriter.DeltaError{Err: err}
	}
	want, err := chunks.Parse(b)
	if err == nil {
		err = want.Check(img.Length, img.SHA256)
	}
	if err != nil {
		return &slotwriter.DeltaError{Err: err}
	}
	have, err := chunks.Build(io.NewSectionReader(devs.Running, 0, devs.RunningSize))
	if err != nil {
		return &slotwriter.DeltaError{Err: fmt.Errorf("chunks of the running slot: %w", err)}
	}
	plan := chunks.MakePlan(want, have, chunks.DefaultMergeGap)
	u.log.Info("delta download", "fetch_bytes", plan.FetchBytes, "local_bytes", plan.LocalBytes, "image", img.Length)
	url := m.TargetURL(img)
	return w.Delta(ctx, plan, devs.Running, func(ctx context.Context, r chunks.Range) (io.ReadCloser, error) {
		pr, pw := io.Pipe()
		go func() {
			_, err := m.Fetch(ctx, url, r.Offset, r.Length, pw)
			pw.CloseWithError(err)
		}()
		return pr, nil
	})
}

// signatures hands a newer signature package to scannerd.
func (u *Updater) signatures(ctx context.Context, l updateapi.Link, at time.Time, n platformapi.UpdateNotice) error {
	if u.cfg.Scanner == nil {
		return nil
	}
	st, err := u.cfg.Scanner.State(ctx)
	if err != nil {
		return err
	}
	if st.Signatures != nil {
		u.setState(func(s *updateapi.State) { s.Signatures = st.Signatures.Version })
		if c := vercmp.Compare(n.Version, st.Signatures.Version); c == 0 {
			return nil
		} else if c < 0 {
			return fmt.Errorf("%w (%s in force)", ErrOlder, st.Signatures.Version)
		}
	}
	m, err := u.refresh(ctx, l, at)
	if err != nil {
		return err
	}
	info, err := target(m, n.Target, platformapi.UpdateSignatures, n.Version)
	if err != nil {
		return err
	}
	u.setState(func(s *updateapi.State) {
		s.Phase, s.Kind, s.Pending = updateapi.PhaseDownloading, n.Kind, n.Version
	})
	pkg, err := fetchSmall(ctx, m, info)
	if err != nil {
		return err
	}
	u.phase(updateapi.PhaseInstalling, 100)
	sig, err := u.cfg.Scanner.InstallSignatures(ctx, pkg)
	if err != nil {
		return err
	}
	u.log.Info("signatures installed", "version", sig.Version)
	u.setState(func(s *updateapi.State) { s.Signatures = sig.Version })
	return nil
}

// TUF returns the Metadata of package tuf: the image's root, the trusted
// cache on the data partition.
func TUF(root []byte, cacheDir string, c clock.Clock) func(platform string, hc *http.Client) (Metadata, error) {
	return func(platform string, hc *http.Client) (Metadata, error) {
		cl, err := tuf.New(tuf.Config{Platform: platform, TrustedRoot: root, MetadataDir: cacheDir, HTTP: hc, Clock: c})
		if err != nil {
			return nil, err
		}
		return tufMeta{cl}, nil
	}
}

type tufMeta struct{ *tuf.Client }

func (t tufMeta) Fetch(ctx context.Context, url string, offset, length int64, w io.Writer) (int64, error) {
	return t.Downloader().Fetch(ctx, url, offset, length, w)
}
