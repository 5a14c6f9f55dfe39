package netapi

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"picket.dev/picket/src/base/strictjson"
	"picket.dev/picket/src/net/netcfg"
)

// FuzzDecodeRequest feeds arbitrary bytes to the server's request decoder
// for each body the API takes. Nothing may panic; an error is short (it
// names the field and the reason, and never repeats the body); a body it
// accepts is one document of the route's shape, whose re-encoding decodes
// to the same value.
func FuzzDecodeRequest(f *testing.F) {
	static := netcfg.Default()
	static.LAN = netcfg.LAN{Method: netcfg.IPv4Static}
	apply, _ := json.Marshal(applyRequest{Config: static, ProxyPassword: "pw", KeepProxyPassword: true})
	f.Add(uint8(0), apply)
	f.Add(uint8(0), []byte(`{"config":{"lan":{"method":"static","address":"`+strings.Repeat("9", 300)+`"}}}`))
	f.Add(uint8(0), []byte(`{"config":{}}]`))
	f.Add(uint8(1), []byte(`{"iface":"lan"}`))
	f.Add(uint8(2), []byte(`{"mode":"ipv6-only"}`))
	f.Add(uint8(3), []byte(`{"scan_vlans":[{"id":7,"name":"n","address":"10.7.0.2/24"}],"routes":[{"destination":"10.8.0.0/16","gateway":"10.7.0.1"}],"scan_ipv6":{"method":"off"}}`))
	f.Add(uint8(4), []byte(`{"state":"ready","name":"box"}`))
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		var (
			path string
			v    any
		)
		switch route % 5 {
		case 0:
			path, v = pathApply, new(applyRequest)
		case 1:
			path, v = pathRenew, new(renewRequest)
		case 2:
			path, v = pathMode, new(modeRequest)
		case 3:
			path, v = pathPlatform, new(netcfg.Platform)
		default:
			path, v = pathLink, new(PlatformLink)
		}
		r := httptest.NewRequest("POST", "http://netmgr"+path, nil)
		err := decode(r, body, v)
		if err != nil {
			if msg := err.Error(); len(msg) > 512 {
				t.Fatalf("error of %d bytes: %.300q", len(msg), msg)
			}
			return
		}
		if !json.Valid(body) {
			t.Fatalf("accepted a body that is not one JSON document: %q", body)
		}
		if a, ok := v.(*applyRequest); ok {
			// The password travels beside the configuration; a set one
			// inside it is refused when marshalled, by design.
			a.Config.Proxy.Password = netcfg.Secret{}
		}
		b, err := json.Marshal(v)
		if err != nil {
			return // an enumeration number out of range: Validate reports it
		}
		again := newLike(v)
		if err := strictjson.Unmarshal(b, again); err != nil {
			t.Fatalf("re-encoded body refused: %v\n%s", err, b)
		}
		b2, _ := json.Marshal(again)
		if string(b) != string(b2) {
			t.Fatalf("round trip changed the request:\n%s\n%s", b, b2)
		}
	})
}

func newLike(v any) any {
	switch v.(type) {
	case *applyRequest:
		return new(applyRequest)
	case *renewRequest:
		return new(renewRequest)
	case *modeRequest:
		return new(modeRequest)
	case *netcfg.Platform:
		return new(netcfg.Platform)
	}
	return new(PlatformLink)
}
