package boxapi

import "time"

// Defaults of each box's token bucket (package ratelimit): a box polls at
// most every platformapi.MinPollInterval (10 s) and uploads a few job updates after a
// poll; 20 at once and one every 3 s leave it ample room, while one key
// sending as fast as it can is held to 20 + 200 requests (and nonces) in
// the nonce cache's 10 minutes.
const (
	DefaultBurst = 20
	DefaultEvery = 3 * time.Second
)
