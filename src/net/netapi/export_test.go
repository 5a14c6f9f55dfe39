package netapi

import "net/http"

// WrapTransport lets the external tests see what crosses the wire: f
// wraps the client's transport.
func (c *Client) WrapTransport(f func(http.RoundTripper) http.RoundTripper) {
	c.hc.Transport = f(c.tr)
}
