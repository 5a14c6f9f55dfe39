// Package platformlink is the box side of the link to the platform: it
// polls the platform over HTTPS, signed with the box's key (package boxid),
// reports the link's state to the network manager for the front panel,
// hands platform-pushed network settings to the network manager, and
// uploads job updates.
//
// # Network path
//
// The platform is reached only over TLS 1.3 with the pinned platform CA as
// the only root. Management traffic follows the management path the
// network manager gives (netapi.Manager.ManagementPath): connections (and
// the DNS queries that resolve the platform's or the proxy's name) are
// bound to its source address when it is valid, so that split networking
// routes them out of WAN, and names are resolved with its management
// resolvers, never /etc/resolv.conf. With a proxy configured the platform
// is reached through an HTTP CONNECT tunnel (package proxy, Basic or NTLM).
//
// # The proxy password
//
// The management path carries the proxy password: netmgrd gives it only
// to the uids of its secret set (the platform link's, netmgrd -link-uid;
// root and its own by default), and the link never reads the network
// manager's store. The link asks for the path before every poll, so a
// password the operator changed is used from the next poll on. The
// password is used only for the proxy handshake: it is never logged nor
// reported.
//
// # Polling
//
// The link polls at start, then every PollIntervalSeconds the platform
// asks for (180 s by default; the link accepts 1 s and more, the platform
// enforces its own minimum), with ±10% jitter so that boxes powered on
// together spread out. A failed poll is retried after an exponential
// backoff (5 s doubling, capped at 10 min or the poll interval, whichever
// is shorter, with the same jitter) and the link reports COMMUNICATION
// FAILURE until a poll succeeds again. A 429 answer (the platform's
// per-box rate limit or its cap on boxes waiting for activation) waits at
// least its Retry-After, at most 10 min; a job update refused so waits for
// the next round.
//
// # Settings the box rolls back
//
// The network manager puts settings that leave the box unable to reach the
// platform on trial and rolls them back to the last-known-good
// configuration after a grace period (package netmgr). The link sees the
// rollback in the manager's status before its next poll, which is the
// first to get through: from then on every poll reports it
// (PollRequest.Rollback), and when it undid the platform's settings the
// version applied last is reported refused (SettingsError) and the one
// before it applied, so the platform shows why and does not send that
// version again.
//
// # State kept on the data partition
//
// The settings version applied (or refused, with the reason) and the queue
// of job updates not yet acknowledged are kept in StateFile, written
// atomically, so that a restart neither re-applies settings nor loses or
// duplicates an upload (each update has a stable UploadID the platform
// deduplicates on).
package platformlink
