package netapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strconv"

	"picket.dev/picket/src/base/strictjson"
	"picket.dev/picket/src/net/netcfg"
)

// The routes, all under /v1/. Reads are GET, changes POST with a JSON body;
// every response is JSON (an error is {"error": Error}), and Subscribe is a
// long-lived response of newline-delimited Status objects.
const (
	pathConfig    = "/v1/config"    // GET: ConfigView
	pathStatus    = "/v1/status"    // GET: Status
	pathApply     = "/v1/apply"     // POST applyRequest: Result
	pathRenew     = "/v1/renew"     // POST renewRequest: {}
	pathReset     = "/v1/reset"     // POST: Result
	pathMode      = "/v1/mode"      // POST modeRequest: Result
	pathTest      = "/v1/test"      // POST: ConnTest
	pathSubscribe = "/v1/subscribe" // GET: stream of Status, one per line
	pathPlatform  = "/v1/platform"  // POST netcfg.Platform: Result
	pathLink      = "/v1/link"      // POST PlatformLink: {}
	pathTrial     = "/v1/trial"     // POST trialRequest: Result
	// GET: managementResponse; only for the uids of the secret set.
	pathManagement = "/v1/management"
)

func strconvQuote(s string) string { return strconv.Quote(s) }

// contentNDJSON is the media type of the Subscribe stream.
const contentNDJSON = "application/x-ndjson"

// maxBody bounds a request or response body (a configuration with every
// scanning VLAN and route is well under 1 MiB).
const maxBody = 4 << 20

// applyRequest is Apply on the wire. The password travels beside the
// configuration, because netcfg refuses to marshal a set Secret; it only
// ever travels towards the manager.
type applyRequest struct {
	Config            netcfg.Config `json:"config"`
	ProxyPassword     string        `json:"proxy_password,omitempty"`
	KeepProxyPassword bool          `json:"keep_proxy_password,omitempty"`
}

// managementResponse is ManagementPath on the wire: the password travels
// beside the proxy, as in applyRequest, and only towards a caller of the
// secret set.
type managementResponse struct {
	Interface     Iface        `json:"interface"`
	Device        string       `json:"device,omitempty"`
	Source        netip.Addr   `json:"source,omitzero"`
	DNS           []netip.Addr `json:"dns,omitempty"`
	Proxy         netcfg.Proxy `json:"proxy"` // password cleared
	ProxyPassword string       `json:"proxy_password,omitempty"`
}

func toManagementResponse(p ManagementPath) managementResponse {
	r := managementResponse{Interface: p.Interface, Device: p.Device, Source: p.Source, DNS: p.DNS, Proxy: p.Proxy, ProxyPassword: p.Proxy.Password.Reveal()}
	r.Proxy.Password = netcfg.Secret{}
	return r
}

func (r managementResponse) path() ManagementPath {
	p := ManagementPath{Interface: r.Interface, Device: r.Device, Source: r.Source, DNS: r.DNS, Proxy: r.Proxy}
	p.Proxy.Password = netcfg.NewSecret(r.ProxyPassword)
	return p
}

type renewRequest struct {
	Iface Iface `json:"iface"`
}

type trialRequest struct {
	ID   string `json:"id"`
	Keep bool   `json:"keep"`
}

type modeRequest struct {
	Mode netcfg.Mode `json:"mode"`
}

type errorResponse struct {
	Error *Error `json:"error"`
}

// describeJSONError says what is wrong with a request body, naming the
// field and the reason, without quoting the body beyond a short excerpt:
// a body may be megabytes long, or carry the proxy password.
func describeJSONError(err error) string {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		unk *strictjson.UnknownFieldError
		fld *strictjson.FieldError
	)
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %s: a JSON %s cannot be a %s", strictjson.Quote(typ.Field), typ.Value, typ.Type)
	case errors.As(err, &unk):
		return fmt.Sprintf("unknown field %s; the API has no such field (misspelt?)", strictjson.Quote(unk.Field))
	case errors.As(err, &fld):
		return fmt.Sprintf("field %s: %s", strictjson.Quote(fld.Field), fld.Reason())
	case errors.Is(err, strictjson.ErrTrailingData):
		return "trailing data after the JSON document; send exactly one JSON object"
	}
	return strictjson.ClipQuoted(err.Error())
}

// MarshalManagementPath encodes p as netapi's own answer carries it, the
// proxy password beside the proxy (netcfg refuses to marshal a set
// Secret). It is for another local API that hands the path on to a uid
// of a secret set of its own (updater.sock's Link); never for a file.
func MarshalManagementPath(p ManagementPath) ([]byte, error) {
	b, err := json.Marshal(toManagementResponse(p))
	if err != nil {
		return nil, fmt.Errorf("encode management path: %w", err)
	}
	return b, nil
}

// UnmarshalManagementPath decodes what MarshalManagementPath wrote,
// refusing unknown fields and trailing data.
func UnmarshalManagementPath(b []byte) (ManagementPath, error) {
	var r managementResponse
	if err := strictjson.Unmarshal(b, &r); err != nil {
		return ManagementPath{}, fmt.Errorf("management path: %s", describeJSONError(err))
	}
	return r.path(), nil
}
