package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"picket.dev/picket/src/system/manifest"
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

// TestSoftwareRelease publishes a software release as rootfs/release.bzl
// does: the chunk index made by release chunks, the SBOM named from the
// signed manifest, add-software taking board and version from the
// manifest; a chunk index of another image and an SBOM from a manifest
// not signed by the release key are refused.
func TestSoftwareRelease(t *testing.T) {
	dir := t.TempDir()
	keys, repo := filepath.Join(dir, "keys"), filepath.Join(dir, "repo")
	if err := os.Mkdir(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"root", "release", "snapshot", "timestamp", "stranger"} {
		runOK(t, "keygen", "-out", keys, "-name", n)
	}
	k := func(n string) string { return filepath.Join(keys, n) }
	runOK(t, "init", "-repo", repo, "-root-key", k("root.pub"), "-targets-key", k("release.pub"),
		"-snapshot-key", k("snapshot.pub"), "-timestamp-key", k("timestamp.pub"))
	runOK(t, "sign", "-repo", repo, "-role", "root", "-key", k("root.key"))
	runOK(t, "sign", "-repo", repo, "-role", "targets", "-key", k("release.key"))
	publish := []string{"publish", "-repo", repo, "-snapshot-key", k("snapshot.key"), "-timestamp-key", k("timestamp.key")}
	runOK(t, publish...)

	// A slot image and its signed manifest, as the image build writes them.
	img := make([]byte, 700<<10)
	for i := range img {
		img[i] = byte(i*7919>>5 ^ i>>11)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	imgPath := write("rootfs.img", img)
	signedBy := func(key, version string) []byte {
		priv, err := manifest.LoadPrivateKey(k(key))
		if err != nil {
			t.Fatal(err)
		}
		m, err := manifest.Describe(bytes.NewReader(img), "virtual", version)
		if err != nil {
			t.Fatal(err)
		}
		s, err := manifest.Sign(m, priv)
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Encode()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	man := write("rootfs.manifest", signedBy("release.key", "0.42+gabc1234+ota1"))
	forged := write("forged.manifest", signedBy("stranger.key", "0.42+gabc1234+ota1"))

	if out := runOK(t, "chunks", "-image", imgPath, "-out", filepath.Join(dir, "rootfs.chunks")); !strings.Contains(out, "chunks of") {
		t.Errorf("chunks: %q", out)
	}
	other := write("other.img", img[:len(img)/2])
	runOK(t, "chunks", "-image", other, "-out", filepath.Join(dir, "other.chunks"))

	mods := write("modules.txt", []byte("# example.com/used v1.2.3\n## explicit; go 1.22\nexample.com/used\n"))
	sum := write("go.sum", []byte("example.com/used v1.2.3 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"))
	lock := write("inputs.lock", []byte("# kind name version sha256\n"))
	sbom := []string{"-pub", k("release.pub"), "-modules", mods, "-gosum", sum, "-inputs", lock, "-created", "2026-12-07T00:00:00Z", "-out", filepath.Join(dir, "sbom.spdx.json")}
	runFail(t, "manifest "+forged, append([]string{"sbom", "-manifest", forged}, sbom...)...)
	runOK(t, append([]string{"sbom", "-manifest", man}, sbom...)...)
	if b, err := os.ReadFile(filepath.Join(dir, "sbom.spdx.json")); err != nil || !bytes.Contains(b, []byte("0.42+gabc1234+ota1")) {
		t.Errorf("the SBOM does not name the manifest's version (%v):\n%.400s", err, b)
	}

	add := []string{"add-software", "-repo", repo, "-image", imgPath, "-manifest", man, "-sbom", filepath.Join(dir, "sbom.spdx.json")}
	runFail(t, "chunk index", append(add, "-chunks", filepath.Join(dir, "other.chunks"))...)
	runFail(t, "give both -board and -version", append(add, "-chunks", filepath.Join(dir, "rootfs.chunks"), "-board", "virtual")...)
	out := runOK(t, append(add, "-chunks", filepath.Join(dir, "rootfs.chunks"))...)
	if !strings.Contains(out, "software/virtual/0.42+gabc1234+ota1/rootfs.img") {
		t.Errorf("add-software staged:\n%s", out)
	}
	runOK(t, "sign", "-repo", repo, "-role", "targets", "-key", k("release.key"))
	runOK(t, publish...)
	if out := runOK(t, "verify", "-repo", repo, "-root", filepath.Join(repo, "metadata", "1.root.json"), "-fetch"); !strings.Contains(out, "targets 2") {
		t.Errorf("verify: %q", out)
	}
}
