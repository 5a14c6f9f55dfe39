package netapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"picket.dev/picket/src/net/netcfg"
)

// Client is a Manager on the other end of a unix socket. Its methods are
// safe for concurrent use. Every error it returns is an *Error: the
// server's (with its kind and problems), or KindUnavailable when the socket
// cannot be reached, or KindCanceled when ctx ended.
type Client struct {
	path string
	tr   *http.Transport
	hc   *http.Client
}

var _ Manager = (*Client)(nil)

// clientIdleTimeout is how long the client keeps an idle connection: less
// than the server's DefaultIdleTimeout, so the client closes it first.
const clientIdleTimeout = time.Minute

// Dial returns a client for the server on the unix socket at socketPath.
// It connects lazily, at the first call, and again after a server restart.
func Dial(socketPath string) *Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socketPath)
		},
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     clientIdleTimeout,
		DisableCompression:  true,
	}
	// No client timeout: calls are bounded by their context, and Subscribe
	// lasts as long as its caller wants.
	return &Client{path: socketPath, tr: tr, hc: &http.Client{Transport: tr}}
}

// Close releases idle connections. Subscriptions end with their contexts.
func (c *Client) Close() error {
	c.tr.CloseIdleConnections()
	return nil
}

// Config implements Manager.
func (c *Client) Config(ctx context.Context) (ConfigView, error) {
	var v ConfigView
	return v, c.call(ctx, http.MethodGet, pathConfig, nil, &v)
}

// Status implements Manager.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var v Status
	return v, c.call(ctx, http.MethodGet, pathStatus, nil, &v)
}

// Apply implements Manager. The password, if any, travels to the server in
// the request body only.
func (c *Client) Apply(ctx context.Context, cfg netcfg.Config, opts ApplyOptions) (Result, error) {
	req := applyRequest{Config: cfg.Clone(), ProxyPassword: cfg.Proxy.Password.Reveal(), KeepProxyPassword: opts.KeepProxyPassword}
	req.Config.Proxy.Password = netcfg.Secret{}
	var v Result
	return v, c.call(ctx, http.MethodPost, pathApply, req, &v)
}

// Renew implements Manager.
func (c *Client) Renew(ctx context.Context, iface Iface) error {
	return c.call(ctx, http.MethodPost, pathRenew, renewRequest{Iface: iface}, nil)
}

// ApplyPlatform implements Manager.
func (c *Client) ApplyPlatform(ctx context.Context, p netcfg.Platform) (Result, error) {
	var v Result
	return v, c.call(ctx, http.MethodPost, pathPlatform, p, &v)
}

// ReportPlatform implements Manager.
func (c *Client) ReportPlatform(ctx context.Context, l PlatformLink) error {
	var v struct{}
	return c.call(ctx, http.MethodPost, pathLink, l, &v)
}

// EndTrial implements Manager.
func (c *Client) EndTrial(ctx context.Context, id string, keep bool) (Result, error) {
	var v Result
	return v, c.call(ctx, http.MethodPost, pathTrial, trialRequest{ID: id, Keep: keep}, &v)
}

// Reset implements Manager.
func (c *Client) Reset(ctx context.Context) (Result, error) {
	var v Result
	return v, c.call(ctx, http.MethodPost, pathReset, struct{}{}, &v)
}

// SwitchMode implements Manager.
func (c *Client) SwitchMode(ctx context.Context, mode netcfg.Mode) (Result, error) {
	var v Result
	return v, c.call(ctx, http.MethodPost, pathMode, modeRequest{Mode: mode}, &v)
}

// TestConnectivity implements Manager.
func (c *Client) TestConnectivity(ctx context.Context) (ConnTest, error) {
	var v ConnTest
	return v, c.call(ctx, http.MethodPost, pathTest, struct{}{}, &v)
}

// ManagementPath implements Manager. A caller outside the server's secret
// set gets an *Error of KindPermissionDenied.
func (c *Client) ManagementPath(ctx context.Context) (ManagementPath, error) {
	var v managementResponse
	if err := c.call(ctx, http.MethodGet, pathManagement, nil, &v); err != nil {
		return ManagementPath{}, err
	}
	return v.path(), nil
}

// Subscribe implements Manager. The channel is closed when ctx ends, or
// when the stream ends (the server shut down or failed); a refused
// subscription (permission denied) is returned as the error.
func (c *Client) Subscribe(ctx context.Context) (<-chan Status, error) {
	resp, err := c.do(ctx, http.MethodGet, pathSubscribe, nil)
	if err != nil {
		return nil, err
	}
	out := make(chan Status)
	go func() {
		defer close(out)
		defer resp.Body.Close()
		dec := json.NewDecoder(resp.Body)
		for {
			var st Status
			if err := dec.Decode(&st); err != nil {
				return // EOF at shutdown, or ctx ended the read
			}
			select {
			case out <- st:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// call sends in (if not nil) as JSON and decodes a 200 response into out
// (if not nil).
func (c *Client) call(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return &Error{Kind: KindInvalidRequest, Message: fmt.Sprintf("netapi: %s %s: encode request: %v", method, path, err), Err: err}
		}
		body = b
	}
	resp, err := c.do(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(out); err != nil {
		return &Error{Kind: KindInternal, Message: fmt.Sprintf("netapi: %s %s: decode response: %v", method, path, err), Err: err}
	}
	return nil
}

// do sends a request and returns a 200 response; any other response is
// decoded into the server's *Error.
func (c *Client) do(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://netmgr"+path, rd)
	if err != nil {
		return nil, &Error{Kind: KindInvalidRequest, Message: fmt.Sprintf("netapi: %s %s: %v", method, path, err), Err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		kind := KindUnavailable
		if ctx.Err() != nil {
			kind, err = KindCanceled, errors.Join(ctx.Err(), err)
		}
		return nil, &Error{Kind: kind, Message: fmt.Sprintf("netapi: %s %s on %s: %v", method, path, c.path, err), Err: err}
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	var er errorResponse
	if err := json.Unmarshal(raw, &er); err != nil || er.Error == nil || er.Error.Kind == "" {
		return nil, &Error{Kind: KindInternal, Message: fmt.Sprintf("netapi: %s %s: HTTP %d without an API error: %.200q", method, path, resp.StatusCode, raw)}
	}
	return nil, er.Error
}
