// Package platformlink is the box side of the link to the platform: it
// polls the platform over HTTPS, signed with the box's key (package boxid),
// reports the link's state to the network manager for the front panel,
// hands platform-pushed network settings to the network manager, and
// uploads job updates.
//
// # Network path
//
// The platform is reached only over TLS 1.3 with the pinned platform CA as
// the only root. Management traffic follows the network manager's status:
// connections (and the DNS queries that resolve the platform's or the
// proxy's name) are bound to Status.ManagementSource when it is valid, so
// that split networking routes them out of WAN, and names are resolved
// with the management resolvers in Status.DNS, never /etc/resolv.conf. With
// a proxy configured the platform is reached through an HTTP CONNECT
// tunnel (package proxy, Basic or NTLM).
//
// # The proxy password
//
// The network manager's API never gives out the proxy password, yet the
// link must authenticate to the proxy. scannerd runs on the same box with
// the same data partition, so the link reads the stored configuration
// directly with package netstore, which opens the sealed password with the
// per-box key. It reads it again when the proxy in Status.Proxy (host,
// port, user) changes, and after the proxy refused the credentials (the
// operator may have changed only the password). The password is used only
// for the proxy handshake: it is never logged nor reported.
//
// # Polling
//
// The link polls at start, then every PollIntervalSeconds the platform
// asks for (180 s by default; the link accepts 1 s and more, the platform
// enforces its own minimum), with ±10% jitter so that boxes powered on
// together spread out. A failed poll is retried after an exponential
// backoff (5 s doubling, capped at 10 min or the poll interval, whichever
// is shorter, with the same jitter) and the link reports COMMUNICATION
// FAILURE until a poll succeeds again.
//
// # State kept on the data partition
//
// The settings version applied (or refused, with the reason) and the queue
// of job updates not yet acknowledged are kept in StateFile, written
// atomically, so that a restart neither re-applies settings nor loses or
// duplicates an upload (each update has a stable UploadID the platform
// deduplicates on).
package platformlink
