package scanapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"picket.dev/picket/src/base/localapi"
)

// Client calls scannerd's API. It implements netapi.ScanCanceler.
type Client struct {
	lc *localapi.Client
}

// Dial returns a client for the socket at path; it connects at the first
// call.
func Dial(path string) *Client {
	return &Client{lc: localapi.Dial("scanapi", path)}
}

// Close releases idle connections.
func (c *Client) Close() error { return c.lc.Close() }

// ErrUnavailable is a scanner that cannot be reached (not running).
var ErrUnavailable = localapi.ErrUnavailable

// State returns what the scanner does.
func (c *Client) State(ctx context.Context) (State, error) {
	var st State
	return st, c.lc.Call(ctx, http.MethodGet, pathState, "", nil, &st)
}

// CancelScan cancels the running scan and waits until it has stopped. An
// unreachable scanner runs no scan: (false, nil), as netapi.ScanCanceler
// asks.
func (c *Client) CancelScan(ctx context.Context, reason string) (bool, error) {
	body, err := json.Marshal(CancelRequest{Reason: reason})
	if err != nil {
		return false, err
	}
	var resp CancelResponse
	err = c.lc.Call(ctx, http.MethodPost, pathCancel, "application/json", body, &resp)
	if errors.Is(err, ErrUnavailable) {
		return false, nil
	}
	return resp.Canceled, err
}

// InstallSignatures sends a signed signature package (a sigpkg file) to
// the scanner, which verifies it and puts it in force; it returns the
// database then in force, or the scanner's reason for refusing it.
func (c *Client) InstallSignatures(ctx context.Context, pkg []byte) (Signatures, error) {
	var sig Signatures
	return sig, c.lc.Call(ctx, http.MethodPost, PathSignatures, "application/octet-stream", pkg, &sig)
}
