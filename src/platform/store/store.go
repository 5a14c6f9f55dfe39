// Package store is the persistence of the Picket platform server: boxes,
// user accounts, scan jobs with their progress and results (the hosts a
// box uploaded, with their findings, bounded per job: see Limits), each
// done job's findings tracking record (package findings), the upload ids
// of job updates and web sessions, behind the Store interface. Open gives the embedded
// implementation (a bbolt file); package postgres the same contract on
// PostgreSQL (testkit/storetest is the contract's test suite, which both
// run).
//
// Every read and write happens in a transaction (Tx), so that the rules
// that span several records (a code activates one box once, box names are
// unique, an upload id is applied once) hold under concurrent requests.
package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/findings"
	"picket.dev/picket/src/scan/result"
)

// Errors of Tx methods; test them with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	// ErrJobFull: a job's results reached the store's Limits; the hosts
	// beyond them were not stored and the job is marked Truncated.
	ErrJobFull = errors.New("job results full")
	// ErrUnavailable: the database cannot be reached (a shared database
	// restarting, a network cut); the request may succeed if tried again
	// shortly. Servers answer it 503, not 500.
	ErrUnavailable = errors.New("database unavailable")
)

// Limits bound what one job's results take in the store, so that a box
// (or many) cannot fill the platform's disk: past either limit a job's
// further hosts are refused (ErrJobFull) and the job is marked
// Truncated. The defaults allow a /16 with a few open ports per host.
type Limits struct {
	// JobHosts is the most hosts stored for one job.
	JobHosts int
	// JobBytes is the most bytes of encoded hosts stored for one job.
	JobBytes int64
}

// DefaultLimits are the limits Open sets.
var DefaultLimits = Limits{JobHosts: 65536, JobBytes: 64 << 20}

// Box states.
const (
	BoxPending = "pending" // seen polling, not activated: only its key and code are trusted
	BoxActive  = "active"  // bound to an account by a manager who entered its code
)

// Box is one box the platform knows, pending or active.
type Box struct {
	// ID is the platform's name for the box in URLs and jobs; derived from
	// its key (see BoxID), so it never changes.
	ID string `json:"id"`
	// Key is the box's ed25519 public key (platformapi.EncodeKey form).
	Key string `json:"key"`
	// Code is the activation code computed from Key.
	Code  string `json:"code"`
	State string `json:"state"`

	// Set at activation.
	Name        string    `json:"name,omitempty"`
	Account     string    `json:"account,omitempty"`
	AssetGroup  string    `json:"asset_group,omitempty"`
	ActivatedBy string    `json:"activated_by,omitempty"`
	Activated   time.Time `json:"activated,omitzero"`

	// What the box reported in its last poll.
	LANv4         []string             `json:"lan_v4,omitempty"`
	LANv6         []string             `json:"lan_v6,omitempty"`
	Board         string               `json:"board,omitempty"`
	Versions      platformapi.Versions `json:"versions"`
	Capacity      platformapi.Capacity `json:"capacity"`
	AppliedVer    int64                `json:"applied_settings_version"`
	SettingsError string               `json:"settings_error,omitempty"`
	RemoteAddr    string               `json:"remote_addr,omitempty"`
	// PollFailures and PollError are what the box said of its polls
	// before the last one (platformapi.PollRequest): failures in a row
	// whose answer it could not use, and the last one's error.
	PollFailures int    `json:"poll_failures,omitempty"`
	PollError    string `json:"poll_error,omitempty"`
	// Rollback is the last network change the box reported it rolled
	// back by itself (platformapi.PollRequest.Rollback).
	Rollback *platformapi.NetworkRollback `json:"rollback,omitempty"`

	// PollIntervalSeconds is the interval the box polls at: the one in
	// the settings it applied (the default until then).
	PollIntervalSeconds int `json:"poll_interval_seconds"`
	// Settings are the platform's settings for the box; Settings.Version
	// grows by one on every change and the box gets them until it reports
	// that version applied.
	Settings platformapi.Settings `json:"settings"`

	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"` // any authenticated request
	LastPoll  time.Time `json:"last_poll"`
}

// Roles of user accounts (package people says what each may do).
const (
	RoleManager     = "manager"      // every box of the account, any asset group or none; people and groups
	RoleUnitManager = "unit_manager" // must put each box it activates in an asset group
	RoleReader      = "reader"       // sees, never changes anything
)

// User is a person's account on the web UI.
type User struct {
	Name    string `json:"name"`
	Role    string `json:"role"`
	Account string `json:"account"`
	// AssetGroups, when not empty, are the only groups a unit manager or
	// reader sees (and a unit manager activates boxes into); empty means
	// the whole account.
	AssetGroups []string `json:"asset_groups,omitempty"`
	// PasswordHash is the argon2id hash in PHC string form (package auth).
	PasswordHash string    `json:"password_hash"`
	Created      time.Time `json:"created"`
	// Disabled users cannot log in; their sessions are deleted when they
	// are disabled (and refused if one is left).
	Disabled bool `json:"disabled,omitempty"`
	// MustChangePassword is set when a manager chose the password (a new
	// account, a reset): the person must set their own before anything
	// else.
	MustChangePassword bool `json:"must_change_password,omitempty"`
}

// AssetGroup is a named set of an account's boxes (Box.AssetGroup) that
// unit managers and readers are limited to (User.AssetGroups).
type AssetGroup struct {
	Account   string    `json:"account"`
	Name      string    `json:"name"`
	CreatedBy string    `json:"created_by,omitempty"`
	Created   time.Time `json:"created"`
}

// AuditEntry is one action a person took on the web UI. It never holds a
// secret (password, token, activation code).
type AuditEntry struct {
	// Seq orders an account's entries; AppendAudit sets it (it grows,
	// across accounts).
	Seq     uint64    `json:"seq"`
	Account string    `json:"account"`
	Time    time.Time `json:"time"`
	User    string    `json:"user"`
	// Action is a dotted name (package people lists them), Object what it
	// was done to (a box id, a user, a group), Detail a short summary.
	Action string `json:"action"`
	Object string `json:"object,omitempty"`
	Detail string `json:"detail,omitempty"`
	// Addr is the client address the request came from.
	Addr string `json:"addr,omitempty"`
}

// Job states beyond those of platformapi (the box's).
const (
	JobPending = "pending" // launched, not yet acknowledged by the box
)

// Job is a scan job launched on a box.
type Job struct {
	ID      string   `json:"id"`
	BoxID   string   `json:"box_id"`
	Targets []string `json:"targets"`
	Ports   string   `json:"ports"`
	// VLAN is the interface the job scans through: 0 the box's LAN,
	// else one of its scanning VLANs (platformapi.Job.VLAN).
	VLAN int `json:"vlan,omitempty"`
	// ChecksOff are the check classes (result.CheckClass) switched off
	// for the job (platformapi.Job.ChecksOff).
	ChecksOff []string        `json:"checks_off,omitempty"`
	State     string          `json:"state"`
	Error     string          `json:"error,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	// CanceledBy is the person who canceled the job on the platform (the
	// State is then canceled); the box's later updates are not recorded.
	CanceledBy string `json:"canceled_by,omitempty"`
	// Progress is the box's last report of where the scan is, Summary
	// its final account (with the last update).
	Progress *platformapi.JobProgress `json:"progress,omitempty"`
	Summary  *platformapi.ScanSummary `json:"summary,omitempty"`
	// Hosts and HostBytes count the hosts stored for the job
	// (AppendHosts) and their encoded size; Truncated says why hosts
	// were refused (the job reached the Limits), empty when none were.
	Hosts     int    `json:"hosts,omitempty"`
	HostBytes int64  `json:"host_bytes,omitempty"`
	Truncated string `json:"truncated,omitempty"`
	// Findings counts the findings of the stored hosts by severity
	// (AppendHosts keeps it).
	Findings map[result.Severity]int `json:"findings,omitempty"`
	// FindingsDropped and FindingTextsCut count what the box API left
	// out of the box's findings to keep them within its bounds: findings
	// of a host beyond its limit, and texts (evidence, remediation...)
	// cut short, marked with "…".
	FindingsDropped int       `json:"findings_dropped,omitempty"`
	FindingTextsCut int       `json:"finding_texts_cut,omitempty"`
	CreatedBy       string    `json:"created_by"`
	Created         time.Time `json:"created"`
	Updated         time.Time `json:"updated"`
}

// Upload records one applied JobUpdate, by the box's upload id.
type Upload struct {
	BoxID    string    `json:"box_id"`
	UploadID string    `json:"upload_id"`
	JobID    string    `json:"job_id"`
	State    string    `json:"state"`
	Time     time.Time `json:"time"`
}

// Session is a logged-in (or, with User empty, pre-login) web session.
// ID is the SHA-256 of the cookie value, so the database alone does not
// give anyone a session.
type Session struct {
	ID      string    `json:"id"`
	User    string    `json:"user,omitempty"`
	CSRF    string    `json:"csrf"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

// Update channels of a Rollout (Rollout.Channel): the software of one
// board, or the signature database (platformapi.UpdateSoftware,
// platformapi.UpdateSignatures).
const (
	ChannelSignatures = "signatures"
	// ChannelSoftwarePrefix + board is a board's software channel.
	ChannelSoftwarePrefix = "software/"
)

// Rollout is the release an account's managers roll out in one channel,
// and how far: first a percentage of the account's boxes (Percent, of a
// stable hash of each box id, so raising it only adds boxes) or one asset
// group (Group), then Everyone. A paused rollout sends no notices; boxes
// that already installed the release keep it.
type Rollout struct {
	Account string `json:"account"`
	// Channel is ChannelSignatures or ChannelSoftwarePrefix + board.
	Channel string `json:"channel"`
	// Version and Target are the release's version and its TUF target
	// path (platformapi.UpdateNotice).
	Version string `json:"version"`
	Target  string `json:"target"`
	// Percent (0 to 100) of the account's boxes get it, when Group is
	// empty and Everyone unset.
	Percent int `json:"percent,omitempty"`
	// Group, when set, is the one asset group that gets it first.
	Group    string `json:"group,omitempty"`
	Everyone bool   `json:"everyone,omitempty"`
	// Force installs it even while a scan runs (platformapi.UpdateNotice).
	Force     bool      `json:"force,omitempty"`
	Paused    bool      `json:"paused,omitempty"`
	UpdatedBy string    `json:"updated_by"`
	Started   time.Time `json:"started"`
	Updated   time.Time `json:"updated"`
}

// Store is the platform's database.
type Store interface {
	// View runs fn in a read-only transaction.
	View(fn func(Tx) error) error
	// Update runs fn in a read-write transaction, committed when fn
	// returns nil and rolled back otherwise. A store shared by several
	// processes (PostgreSQL) runs fn again when the database rolled the
	// transaction back for a conflict with a concurrent one, so fn must
	// leave nothing outside the Tx but results it sets afresh on each
	// run.
	Update(fn func(Tx) error) error
	// Batch is Update for many concurrent small writers (box polls): it
	// may group several calls into one transaction and may run fn more
	// than once, so fn must have no effect outside the Tx.
	Batch(fn func(Tx) error) error
	Close() error
	// Guard is the short-lived state of the limits and the replay
	// defence, shared by every process on the database.
	Guard
}

// Tx is one transaction. Getters return ErrNotFound when there is no such
// record; writes in a read-only transaction fail.
type Tx interface {
	Box(id string) (Box, error)
	BoxByKey(key string) (Box, error)
	BoxByCode(code string) (Box, error)
	// BoxByName finds an active box by name.
	BoxByName(name string) (Box, error)
	// Boxes returns every box, pending and active, ordered by id.
	Boxes() ([]Box, error)
	// PendingCount is the number of pending boxes.
	PendingCount() (int, error)
	// PutBox creates or replaces b, keeping the key, code and name
	// indexes; it returns ErrExists if another box has b's key, code or
	// (active) name.
	PutBox(b Box) error
	DeleteBox(id string) error

	User(name string) (User, error)
	Users() ([]User, error)
	PutUser(u User) error
	// DeleteUserSessions deletes every session of the user (a disabled
	// account, a password reset).
	DeleteUserSessions(user string) error

	// AssetGroups returns an account's groups ordered by name;
	// PutAssetGroup creates or replaces one; DeleteAssetGroup removes one
	// (ErrNotFound if there is none). Boxes and users name groups on
	// their own records: keeping them consistent is the caller's job.
	AssetGroups(account string) ([]AssetGroup, error)
	PutAssetGroup(g AssetGroup) error
	DeleteAssetGroup(account, name string) error

	// AppendAudit stores e with the next Seq. AuditLog returns up to
	// limit of an account's entries with Seq below before (0: from the
	// newest), newest first.
	AppendAudit(e AuditEntry) error
	AuditLog(account string, before uint64, limit int) ([]AuditEntry, error)

	Job(id string) (Job, error)
	// JobsOf returns the jobs of a box, oldest first.
	JobsOf(boxID string) ([]Job, error)
	PutJob(j Job) error
	// DeleteJob removes a job and its hosts (its upload records stay, so
	// a box that repeats an update hears "duplicate").
	DeleteJob(id string) error
	// AppendHosts stores hosts after the job's others, in order, and
	// returns the job with its counts updated (written). Past the store's
	// Limits it stores the hosts that fit, marks the job Truncated and
	// returns it with an error wrapping ErrJobFull; the transaction stays
	// usable, so the caller may record the rest of an update.
	AppendHosts(jobID string, hosts []result.Host) (Job, error)
	// EachHost calls fn with the job's hosts in the order they were
	// appended, from the from-th (0: the first), until fn returns an
	// error (returned as is). Hosts are only ever appended, so a reader
	// can go through many in chunks, one short transaction each.
	EachHost(jobID string, from int, fn func(result.Host) error) error
	// EachFindingHost is EachHost for the hosts that have findings
	// (others are skipped without being decoded).
	EachFindingHost(jobID string, from int, fn func(result.Host) error) error
	// Tracking is the first-seen and fixed record of a done job
	// (package findings); PutTracking stores one (DeleteJob removes it).
	Tracking(jobID string) (findings.Tracking, error)
	PutTracking(t findings.Tracking) error

	Upload(boxID, uploadID string) (Upload, error)
	PutUpload(u Upload) error

	Session(id string) (Session, error)
	PutSession(s Session) error
	DeleteSession(id string) error
	// DeleteExpiredSessions removes sessions expired at now.
	DeleteExpiredSessions(now time.Time) error
	// SessionCount is the number of sessions stored, expired or not.
	SessionCount() (int, error)

	// Rollout is an account's rollout in a channel; Rollouts all of an
	// account's, ordered by channel.
	Rollout(account, channel string) (Rollout, error)
	Rollouts(account string) ([]Rollout, error)
	PutRollout(r Rollout) error
}

// PreviousTracking returns the tracking record of the previous done job
// of the same targets as j (findings.ScanKey, on the same box, launched
// before j), or ErrNotFound. Done jobs without a record (ended before
// the platform kept them) are passed over.
func PreviousTracking(tx Tx, j Job) (findings.Tracking, error) {
	jobs, err := tx.JobsOf(j.BoxID)
	if err != nil {
		return findings.Tracking{}, err
	}
	key := findings.ScanKey(j.Targets, j.Ports, j.VLAN)
	for i := len(jobs) - 1; i >= 0; i-- { // newest first
		o := jobs[i]
		if o.ID == j.ID || o.State != platformapi.JobDone || !o.Created.Before(j.Created) ||
			findings.ScanKey(o.Targets, o.Ports, o.VLAN) != key {
			continue
		}
		t, err := tx.Tracking(o.ID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		return t, err
	}
	return findings.Tracking{}, fmt.Errorf("previous scan of job %s's targets: %w", j.ID, ErrNotFound)
}
