// Package tufrepo writes update repositories in The Update Framework's
// file shapes for tests of the platform's side (package
// platform/releases, platformd's repository serving): the consistent
// snapshot chain timestamp.json → N.snapshot.json → N.targets.json, with
// each file's length and SHA-256 in its parent, and the targets' files
// under "<dir>/<sha256>.<name>". The metadata carries no signatures: the
// platform does not verify them (the box does, with the real tool's
// repositories); these repositories are for what the platform reads.
package tufrepo

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"time"
)

// Target is one target file: its path in the repository, its bytes and
// its custom metadata (nil: none).
type Target struct {
	Path   string
	Data   []byte
	Custom map[string]any
}

// Software is the slot image target of board's version (custom kind,
// board and version as the release tool writes them).
func Software(board, version string, data []byte) Target {
	return Target{Path: fmt.Sprintf("software/%s/%s/rootfs.img", board, version), Data: data,
		Custom: map[string]any{"kind": "software", "board": board, "version": version}}
}

// Signatures is the signature package target of version.
func Signatures(version string, data []byte) Target {
	return Target{Path: fmt.Sprintf("signatures/%s/signatures.pkg", version), Data: data,
		Custom: map[string]any{"kind": "signatures", "version": version}}
}

// Repo is a repository directory: metadata/ and targets/.
type Repo struct {
	Dir string
	// Version is the version of the last published snapshot and targets.
	Version int
	// Expires is written in every role's metadata.
	Expires time.Time
}

// New returns a repository in dir (created on the first Publish).
func New(dir string) *Repo {
	return &Repo{Dir: dir, Expires: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func signed(typ string, version int, expires time.Time, body map[string]any) []byte {
	s := map[string]any{"_type": typ, "spec_version": "1.0.31", "version": version,
		"expires": expires.UTC().Format(time.RFC3339)}
	for k, v := range body {
		s[k] = v
	}
	b, err := json.MarshalIndent(map[string]any{"signed": s, "signatures": []any{}}, "", " ")
	if err != nil {
		panic(err) // maps of strings and numbers always encode
	}
	return b
}

func write(p string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, b, 0o644)
}

// Publish writes targets (the whole list of the new targets metadata) as
// the next version: their files, N.targets.json, N.snapshot.json and
// timestamp.json, in the order a publisher must (the timestamp last).
func (r *Repo) Publish(targets ...Target) error {
	r.Version++
	meta := filepath.Join(r.Dir, "metadata")
	list := map[string]any{}
	for _, t := range targets {
		h := sum(t.Data)
		p := filepath.Join(r.Dir, "targets", filepath.FromSlash(path.Dir(t.Path)), h+"."+path.Base(t.Path))
		if err := write(p, t.Data); err != nil {
			return fmt.Errorf("target %s: %w", t.Path, err)
		}
		e := map[string]any{"length": len(t.Data), "hashes": map[string]string{"sha256": h}}
		if t.Custom != nil {
			e["custom"] = t.Custom
		}
		list[t.Path] = e
	}
	tj := signed("targets", r.Version, r.Expires, map[string]any{"targets": list})
	sj := signed("snapshot", r.Version, r.Expires, map[string]any{"meta": map[string]any{
		"targets.json": map[string]any{"version": r.Version, "length": len(tj), "hashes": map[string]string{"sha256": sum(tj)}}}})
	ts := signed("timestamp", r.Version, r.Expires, map[string]any{"meta": map[string]any{
		"snapshot.json": map[string]any{"version": r.Version, "length": len(sj), "hashes": map[string]string{"sha256": sum(sj)}}}})
	for _, f := range []struct {
		name string
		b    []byte
	}{{fmt.Sprintf("%d.targets.json", r.Version), tj}, {fmt.Sprintf("%d.snapshot.json", r.Version), sj}} {
		if err := write(filepath.Join(meta, f.name), f.b); err != nil {
			return fmt.Errorf("publish: %w", err)
		}
	}
	// The timestamp replaces the old one at once (a reader never sees
	// half of it).
	tmp := filepath.Join(meta, ".timestamp.json.tmp")
	if err := write(tmp, ts); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(meta, "timestamp.json")); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	return nil
}
