package chunks

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

func random(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n+8)
	for i := 0; i < n; i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.Uint64())
	}
	return b[:n]
}

// checkCovers checks an index against the data it was built from, with
// hashes computed here.
func checkCovers(t *testing.T, ix Index, data []byte) {
	t.Helper()
	if ix.Length != int64(len(data)) || ix.SHA256 != sha256.Sum256(data) {
		t.Fatalf("index says %d bytes %x, data is %d bytes %x", ix.Length, ix.SHA256, len(data), sha256.Sum256(data))
	}
	var off int64
	for i, c := range ix.Chunks {
		if c.Offset != off {
			t.Fatalf("chunk %d at %d, want %d", i, c.Offset, off)
		}
		if c.Length > MaxSize || (c.Length < MinSize && i != len(ix.Chunks)-1) || c.Length == 0 {
			t.Fatalf("chunk %d: length %d out of bounds", i, c.Length)
		}
		if c.SHA256 != sha256.Sum256(data[off:off+c.Length]) {
			t.Fatalf("chunk %d: wrong hash", i)
		}
		off += c.Length
	}
	if off != int64(len(data)) {
		t.Fatalf("chunks cover %d of %d bytes", off, len(data))
	}
}

// oneByteReader returns one byte per Read: the cut must not depend on how
// the input arrives.
type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

func TestBuildBoundsAndDeterminism(t *testing.T) {
	data := random(1, 24<<20)
	ix, err := Build(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	checkCovers(t, ix, data)
	avg := len(data) / len(ix.Chunks)
	// FastCDC aims the average near AvgSize; normalized chunking with a
	// 16 KiB minimum lands close to it on random data.
	if avg < AvgSize*3/4 || avg > AvgSize*3/2 {
		t.Errorf("average chunk %d bytes over %d chunks, want about %d", avg, len(ix.Chunks), AvgSize)
	}
	again, err := Build(oneByteReader{bytes.NewReader(data[:3<<20])})
	if err != nil {
		t.Fatal(err)
	}
	first, err := Build(bytes.NewReader(data[:3<<20]))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Marshal(), first.Marshal()) {
		t.Error("the same bytes read one at a time cut differently")
	}
}

func TestBuildSmallAndEmpty(t *testing.T) {
	for _, n := range []int{0, 1, MinSize - 1, MinSize, MinSize + 1, MaxSize, MaxSize + 1} {
		data := random(uint64(n), n)
		ix, err := Build(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		checkCovers(t, ix, data)
		if _, err := Parse(ix.Marshal()); err != nil {
			t.Errorf("%d bytes: %v", n, err)
		}
	}
	// Data without content to cut on (zeros) is cut at MaxSize.
	zeros := make([]byte, 3*MaxSize+5)
	ix, err := Build(bytes.NewReader(zeros))
	if err != nil {
		t.Fatal(err)
	}
	checkCovers(t, ix, zeros)
	if len(ix.Chunks) != 4 || ix.Chunks[3].Length != 5 {
		t.Errorf("zeros cut into %d chunks, want 3 of MaxSize and one of 5", len(ix.Chunks))
	}
}

func TestShiftKeepsChunks(t *testing.T) {
	old := random(2, 16<<20)
	// 100 bytes inserted in the middle and 3 KiB removed near the end:
	// only chunks around the edits change.
	changed := append(append(append([]byte{}, old[:5<<20]...), random(3, 100)...), old[5<<20:]...)
	changed = append(changed[:14<<20], changed[14<<20+3072:]...)
	a, err := Build(bytes.NewReader(old))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(bytes.NewReader(changed))
	if err != nil {
		t.Fatal(err)
	}
	p := MakePlan(b, a, 0)
	if p.LocalBytes+p.FetchBytes != int64(len(changed)) {
		t.Fatalf("plan covers %d+%d of %d bytes", p.LocalBytes, p.FetchBytes, len(changed))
	}
	// Two edits, each touching at most a couple of chunks up to MaxSize.
	if p.FetchBytes > 4*MaxSize {
		t.Errorf("two small edits need %d bytes fetched in %d ranges", p.FetchBytes, len(p.Ranges))
	}
	if len(p.Ranges) != 2 {
		t.Errorf("two separate edits give %d ranges, want 2: %v", len(p.Ranges), p.Ranges)
	}
	// Every local step points at bytes of old equal to the new ones.
	for _, s := range p.Steps {
		if s.Local && !bytes.Equal(old[s.LocalOffset:s.LocalOffset+s.Length], changed[s.Offset:s.Offset+s.Length]) {
			t.Fatalf("step at %d: local bytes at %d differ", s.Offset, s.LocalOffset)
		}
	}
}

func TestMarshalParse(t *testing.T) {
	data := random(4, 2<<20)
	ix, err := Build(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	b := ix.Marshal()
	if len(b) != 52+36*len(ix.Chunks) || string(b[:8]) != "PKCHNK1\n" {
		t.Fatalf("encoding: %d bytes for %d chunks, starts %q", len(b), len(ix.Chunks), b[:8])
	}
	back, err := Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	checkCovers(t, back, data)
	if err := back.Check(int64(len(data)), sha256.Sum256(data)); err != nil {
		t.Error(err)
	}
	if err := back.Check(int64(len(data)), sha256.Sum256(data[1:])); err == nil {
		t.Error("Check accepted another image's hash")
	}
}

func TestParseRefuses(t *testing.T) {
	ix, err := Build(bytes.NewReader(random(5, 1<<20)))
	if err != nil {
		t.Fatal(err)
	}
	good := ix.Marshal()
	n := len(ix.Chunks)
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte{}, good...)) }
	put32 := func(b []byte, at int, v uint32) []byte {
		b[at], b[at+1], b[at+2], b[at+3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
		return b
	}
	entry := func(i int) int { return 52 + 36*i }
	cases := map[string]struct {
		b    []byte
		want string
	}{
		"empty":          {nil, "shorter than its 52-byte header"},
		"magic":          {mod(func(b []byte) []byte { b[0] = 'X'; return b }), "bad magic"},
		"truncated":      {good[:len(good)-1], "the file has"},
		"trailing":       {append(append([]byte{}, good...), 0), "the file has"},
		"count":          {mod(func(b []byte) []byte { return put32(b, 48, uint32(n+1)) }), "the file has"},
		"zero chunk":     {mod(func(b []byte) []byte { return put32(b, entry(0), 0) }), "length 0"},
		"huge chunk":     {mod(func(b []byte) []byte { return put32(b, entry(0), MaxSize+1) }), "want 1 to"},
		"short middle":   {mod(func(b []byte) []byte { return put32(b, entry(0), MinSize-1) }), "below the minimum"},
		"sum":            {mod(func(b []byte) []byte { b[15]++; return b }), "chunks cover"},
		"huge length":    {mod(func(b []byte) []byte { b[8] = 0xff; return b }), "out of range"},
		"oversized file": {make([]byte, MaxIndexSize+1), "more than the"},
	}
	for name, c := range cases {
		_, err := Parse(c.b)
		if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want ErrMalformed saying %q", name, err, c.want)
		}
	}
	// Read stops after MaxIndexSize+1 bytes of an endless stream.
	if _, err := Read(endless{}); err == nil || !strings.Contains(err.Error(), "more than the") {
		t.Errorf("endless index: %v", err)
	}
}

type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

func FuzzParse(f *testing.F) {
	ix, _ := Build(bytes.NewReader(random(6, 300<<10)))
	f.Add(ix.Marshal())
	f.Add([]byte("PKCHNK1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ix, err := Parse(b)
		if err != nil {
			return
		}
		if !bytes.Equal(ix.Marshal(), b) {
			t.Fatal("accepted bytes that do not re-encode the same")
		}
	})
}
