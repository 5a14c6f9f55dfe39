package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runOK(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("release %s: exit %d: %s%s", strings.Join(args, " "), code, out.String(), errb.String())
	}
	return out.String()
}

func runFail(t *testing.T, want string, args ...string) {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(args, &out, &errb); code == 0 {
		t.Fatalf("release %s: succeeded, want an error with %q", strings.Join(args, " "), want)
	}
	if !strings.Contains(errb.String(), want) {
		t.Fatalf("release %s: %q, want %q", strings.Join(args, " "), errb.String(), want)
	}
}

// TestThresholdSigningByHolders: root 2-of-3 and targets 2-of-2, each
// holder signing the staged file on their own with their one key; publish
// refuses below the thresholds, a key outside the role and a second
// signature by the same holder are refused, and the result verifies with
// the box's client.
func TestThresholdSigningByHolders(t *testing.T) {
	dir := t.TempDir()
	keys, repo := filepath.Join(dir, "keys"), filepath.Join(dir, "repo")
	if err := os.Mkdir(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"root-a", "root-b", "root-c", "release-a", "release-b", "snapshot", "timestamp", "stranger"} {
		runOK(t, "keygen", "-out", keys, "-name", n)
	}
	k := func(n string) string { return filepath.Join(keys, n) }
	runOK(t, "init", "-repo", repo,
		"-root-key", k("root-a.pub")+","+k("root-b.pub")+","+k("root-c.pub"), "-root-threshold", "2",
		"-targets-key", k("release-a.pub")+","+k("release-b.pub"), "-targets-threshold", "2",
		"-snapshot-key", k("snapshot.pub"), "-timestamp-key", k("timestamp.pub"))
	publish := []string{"publish", "-repo", repo, "-snapshot-key", k("snapshot.key"), "-timestamp-key", k("timestamp.key")}

	if out := runOK(t, "sign", "-repo", repo, "-role", "root", "-key", k("root-a.key")); !strings.Contains(out, "1 of 2 signatures") {
		t.Errorf("first root signature: %q", out)
	}
	runFail(t, "already signed", "sign", "-repo", repo, "-role", "root", "-key", k("root-a.key"))
	runFail(t, "is not a root key", "sign", "-repo", repo, "-role", "root", "-key", k("stranger.key"))
	runFail(t, "1 of 2 signatures", publish...)
	runOK(t, "sign", "-repo", repo, "-role", "root", "-key", k("root-c.key"))
	runOK(t, "sign", "-repo", repo, "-role", "targets", "-key", k("release-a.key"))
	runFail(t, "1 of 2 signatures", publish...)
	runFail(t, "is not a targets (release) key", "sign", "-repo", repo, "-role", "targets", "-key", k("root-b.key"))
	if out := runOK(t, "status", "-repo", repo); !strings.Contains(out, "targets version 1: 1 of 2") {
		t.Errorf("status: %q", out)
	}
	if out := runOK(t, "sign", "-repo", repo, "-role", "targets", "-key", k("release-b.key")); !strings.Contains(out, "threshold met") {
		t.Errorf("second targets signature: %q", out)
	}
	runOK(t, publish...)
	// The snapshot key cannot stand in for the timestamp key.
	runFail(t, "is not a timestamp key", "timestamp", "-repo", repo, "-key", k("snapshot.key"))
	out := runOK(t, "verify", "-repo", repo, "-root", filepath.Join(repo, "metadata", "1.root.json"), "-fetch")
	if !strings.Contains(out, "root 1, timestamp 1, snapshot 1, targets 1") {
		t.Errorf("verify: %q", out)
	}
	t.Logf("threshold signing by holders:\n%s", out)
}
