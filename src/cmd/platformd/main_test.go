package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCreateUser(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	os.WriteFile(pwFile, []byte("another long one\n"), 0o600)
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		code  int
		want  string
	}{
		{"manager, password on stdin", []string{"-create-user", "alice"}, "a long password\n", 0, "user alice (manager) created"},
		{"again", []string{"-create-user", "alice"}, "a long password\n", 1, "already exists"},
		{"unit manager, password file", []string{"-create-user", "uma", "-role", "unit_manager", "-asset-groups", "lab,office", "-password-file", pwFile}, "", 0, "created"},
		{"reader", []string{"-create-user", "rita", "-role", "reader", "-asset-groups", "lab"}, "a long password\n", 0, "user rita (reader) created"},
		{"short password", []string{"-create-user", "bob"}, "short\n", 1, "at least 10"},
		{"bad role", []string{"-create-user", "bob", "-role", "root"}, "a long password\n", 1, "allowed: manager, unit_manager, reader"},
		{"serve without a certificate", []string{}, "", 1, "TLS certificate and key are required"},
		{"bad -proxy-protocol", []string{"-proxy-protocol", "10.0.0.0/33"}, "", 2, "-proxy-protocol: trusted address \"10.0.0.0/33\""},
		{"stray argument", []string{"serve"}, "", 2, "unexpected arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := run(append([]string{"-data", filepath.Join(dir, "data")}, tc.args...), strings.NewReader(tc.stdin), &stderr)
			if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want %d with %q", code, stderr.String(), tc.code, tc.want)
			}
			if strings.Contains(stderr.String(), "long password") {
				t.Errorf("password in the output: %q", stderr.String())
			}
		})
	}
}
