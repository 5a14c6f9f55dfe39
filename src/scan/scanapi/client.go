package scanapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
)

// Client calls scannerd's API. It implements netapi.ScanCanceler.
type Client struct {
	path string
	tr   *http.Transport
	hc   *http.Client
}

// Dial returns a client for the socket at path; it connects at the first
// call.
func Dial(path string) *Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
		MaxIdleConnsPerHost: 2,
		DisableCompression:  true,
	}
	return &Client{path: path, tr: tr, hc: &http.Client{Transport: tr}}
}

// Close releases idle connections.
func (c *Client) Close() error {
	c.tr.CloseIdleConnections()
	return nil
}

// ErrUnavailable is a scanner that cannot be reached (not running).
var ErrUnavailable = errors.New("scanner not reachable")

// State returns what the scanner does.
func (c *Client) State(ctx context.Context) (State, error) {
	var st State
	return st, c.call(ctx, http.MethodGet, pathState, "", nil, &st)
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
	err = c.call(ctx, http.MethodPost, pathCancel, "application/json", body, &resp)
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
	return sig, c.call(ctx, http.MethodPost, PathSignatures, "application/octet-stream", pkg, &sig)
}

func (c *Client) call(ctx context.Context, method, path, contentType string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://scanner"+path, rd)
	if err != nil {
		return fmt.Errorf("scanapi: %s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() == nil && (errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED)) {
			return fmt.Errorf("scanapi: %s on %s: %w: %v", path, c.path, ErrUnavailable, err)
		}
		return fmt.Errorf("scanapi: %s on %s: %w", path, c.path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("scanapi: %s: read answer: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var er errorResponse
		if json.Unmarshal(raw, &er) == nil && er.Error != "" {
			return fmt.Errorf("scanapi: %s: HTTP %d: %s", path, resp.StatusCode, er.Error)
		}
		return fmt.Errorf("scanapi: %s: HTTP %d", path, resp.StatusCode)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("scanapi: %s: answer is not valid JSON: %w", path, err)
	}
	return nil
}
