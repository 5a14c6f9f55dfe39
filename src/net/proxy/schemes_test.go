package proxy

import (
	"net/http"
	"slices"
	"testing"
)

func TestAuthSchemes(t *testing.T) {
	for _, c := range []struct {
		headers []string
		want    []string
	}{
		{nil, nil},
		{[]string{"NTLM"}, []string{"NTLM"}},
		{[]string{"NTLM", `Basic realm="Squid proxy"`}, []string{"NTLM", "Basic"}},
		{[]string{`Basic realm="a, b", charset="UTF-8", NTLM`}, []string{"Basic", "NTLM"}},
		{[]string{`Digest realm="x", nonce="a\"b,c", qop="auth", Negotiate`}, []string{"Digest", "Negotiate"}},
		{[]string{"NTLM TlRMTVNTUAACAAAA=="}, []string{"NTLM"}},
		{[]string{"basic realm=x", "Basic realm=y"}, []string{"basic"}},
		{[]string{"  ,  "}, nil},
	} {
		h := http.Header{}
		for _, v := range c.headers {
			h.Add("Proxy-Authenticate", v)
		}
		if got := authSchemes(h); !slices.Equal(got, c.want) {
			t.Errorf("authSchemes(%q) = %q, want %q", c.headers, got, c.want)
		}
	}
}
