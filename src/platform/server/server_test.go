package server

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"picket.dev/picket/src/link/platformapi"
	"picket.dev/picket/src/platform/auth"
	"picket.dev/picket/src/platform/store"
)

func TestCreateUser(t *testing.T) {
	st, err := OpenStore(filepath.Join(t.TempDir(), "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)
	good := NewUser{Name: "alice", Role: store.RoleManager, Account: "acme", Password: "long enough pw"}
	for _, tc := range []struct {
		name string
		edit func(*NewUser)
		want string
	}{
		{"bad name", func(u *NewUser) { u.Name = "al ice" }, "user name"},
		{"bad role", func(u *NewUser) { u.Role = "admin" }, "role \"admin\": allowed: manager, unit_manager"},
		{"short password", func(u *NewUser) { u.Password = "short" }, "at least 10"},
		{"no account", func(u *NewUser) { u.Account = "" }, "account: required"},
	} {
		u := good
		tc.edit(&u)
		if err := CreateUser(st, u, now); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if err := CreateUser(st, good, now); err != nil {
		t.Fatal(err)
	}
	if err := CreateUser(st, good, now); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second alice: %v", err)
	}
	st.View(func(tx store.Tx) error {
		u, err := tx.User("alice")
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := auth.CheckPassword(u.PasswordHash, "long enough pw"); !ok || strings.Contains(u.PasswordHash, "long enough") {
			t.Errorf("stored hash %q", u.PasswordHash)
		}
		return nil
	})
}

// Both halves answer on one handler.
func TestHandler(t *testing.T) {
	st, err := OpenStore(filepath.Join(t.TempDir(), "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p := New(st, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer p.Close() // before the store closes: it writes the heartbeat
	h := p.Handler()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	body := []byte(`{"board":"virtual"}`)
	r := httptest.NewRequest(http.MethodPost, platformapi.PathPoll, bytes.NewReader(body))
	platformapi.Sign(r, body, key, time.Now())
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var resp platformapi.PollResponse
	if json.Unmarshal(w.Body.Bytes(), &resp); w.Code != 200 || resp.State != platformapi.StateUnactivated {
		t.Errorf("poll: %d %s", w.Code, w.Body)
	}
	// HSTS on every answer (issue 12: none): a year, as RFC 6797 writes it.
	if got := w.Header().Get("Strict-Transport-Security"); got != "max-age=31536000" {
		t.Errorf("poll: Strict-Transport-Security %q", got)
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/login", nil))
	if w.Code != 200 || !strings.Contains(w.Body.String(), `id="login-form"`) {
		t.Errorf("login page: %d", w.Code)
	}
	for _, path := range []string{"/login", "/no-such-page", "/static/style.css", "/appliances"} {
		w = httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if got := w.Header().Get("Strict-Transport-Security"); got != "max-age=31536000" {
			t.Errorf("GET %s (%d): Strict-Transport-Security %q", path, w.Code, got)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	st.View(func(tx store.Tx) error {
		b, err := tx.BoxByKey(platformapi.EncodeKey(key.Public().(ed25519.PublicKey)))
		if err != nil || b.Board != "virtual" {
			t.Errorf("pending box after Close: %+v %v", b, err)
		}
		return nil
	})
}
