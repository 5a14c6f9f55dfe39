package netapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"picket.dev/picket/src/net/netcfg"
)

// Kind is the machine-readable kind of an Error; it crosses the socket.
type Kind string

// Error kinds.
const (
	// KindInvalidConfig: the configuration was refused; Problems lists every
	// problem and nothing was applied.
	KindInvalidConfig Kind = "invalid_config"
	// KindInvalidRequest: the request itself is malformed (bad JSON, an
	// unknown interface or mode).
	KindInvalidRequest Kind = "invalid_request"
	// KindNotApplicable: the operation does not apply in the current
	// configuration (RENEW on a static port).
	KindNotApplicable Kind = "not_applicable"
	// KindScanCancel: the running scan could not be cancelled, so the
	// change was refused and nothing was applied.
	KindScanCancel Kind = "scan_cancel_failed"
	// KindPermissionDenied: the caller's uid may not use the socket.
	KindPermissionDenied Kind = "permission_denied"
	// KindUnavailable: the manager could not be reached.
	KindUnavailable Kind = "unavailable"
	// KindCanceled: the caller's context ended first.
	KindCanceled Kind = "canceled"
	// KindApplyFailed: the kernel or the NIC refused part of the change (an
	// unsupported link mode, no 802.1Q support, a missing interface); the
	// previous configuration was restored and stays in force.
	KindApplyFailed Kind = "apply_failed"
	// KindInternal: anything else (a store write failed, a protocol error).
	KindInternal Kind = "internal"
)

// Problem is one problem of a refused configuration, as it crosses the
// socket (a netcfg.FieldError).
type Problem struct {
	Field   string `json:"field"`
	Problem string `json:"problem"`
}

// Error is an error of the API, the same on both sides of the socket: its
// Kind, Message and Problems cross the wire. Unwrap yields each problem as
// a *netcfg.FieldError, so netcfg.Problems works on it, and the local cause.
// No Error ever contains the proxy password.
type Error struct {
	Kind     Kind      `json:"kind"`
	Message  string    `json:"message"`
	Problems []Problem `json:"problems,omitempty"`
	// Err is the cause on this side of the socket; it is not sent.
	Err error `json:"-"`
}

func (e *Error) Error() string {
	if e.Message == "" {
		return "netapi: " + string(e.Kind)
	}
	return e.Message
}

// Unwrap returns the problems as *netcfg.FieldError, then the cause.
func (e *Error) Unwrap() []error {
	var out []error
	for _, p := range e.Problems {
		out = append(out, &netcfg.FieldError{Field: p.Field, Problem: p.Problem})
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// KindOf returns the kind of err: an *Error's own, KindInvalidConfig for a
// netcfg validation error, KindCanceled for a context error, else
// KindInternal. It returns "" for nil.
func KindOf(err error) Kind {
	if err == nil {
		return ""
	}
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.Kind
	case len(netcfg.Problems(err)) > 0:
		return KindInvalidConfig
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return KindCanceled
	}
	return KindInternal
}

// invalidConfig turns a netcfg validation error into an *Error that lists
// every problem, with what was being done as context.
func invalidConfig(op string, err error) *Error {
	fes := netcfg.Problems(err)
	probs := make([]Problem, 0, len(fes))
	lines := make([]string, 0, len(fes))
	for _, fe := range fes {
		probs = append(probs, Problem{Field: fe.Field, Problem: fe.Problem})
		lines = append(lines, fe.Error())
	}
	msg := "invalid network configuration"
	if op != "" {
		msg = op + ": " + msg
	}
	if len(lines) > 0 {
		msg += ": " + strings.Join(lines, "; ")
	} else {
		msg += ": " + err.Error()
	}
	return &Error{Kind: KindInvalidConfig, Message: msg, Problems: probs}
}

// toWire makes err into the *Error that crosses the socket (without its
// local cause).
func toWire(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return &Error{Kind: e.Kind, Message: e.Error(), Problems: e.Problems}
	}
	if KindOf(err) == KindInvalidConfig {
		return invalidConfig("", err)
	}
	return &Error{Kind: KindOf(err), Message: err.Error()}
}

// httpStatus is the HTTP status an error kind is sent with. The body says
// the kind; the status is for people reading a trace.
func httpStatus(k Kind) int {
	switch k {
	case KindInvalidConfig, KindInvalidRequest:
		return http.StatusBadRequest
	case KindNotApplicable, KindScanCancel, KindApplyFailed:
		return http.StatusConflict
	case KindPermissionDenied:
		return http.StatusForbidden
	case KindUnavailable, KindCanceled:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
