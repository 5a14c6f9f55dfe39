package chunks

import (
	"crypto/sha256"
	"reflect"
	"testing"
)

// index makes an index of chunks named by letters, each of the given
// length (the letters' hashes stand in for the contents').
func index(spec string, lengths ...int64) Index {
	var ix Index
	for i, r := range spec {
		n := int64(MinSize)
		if i < len(lengths) {
			n = lengths[i]
		}
		ix.Chunks = append(ix.Chunks, Chunk{Offset: ix.Length, Length: n, SHA256: sha256.Sum256([]byte{byte(r)})})
		ix.Length += n
	}
	ix.SHA256 = sha256.Sum256([]byte(spec))
	return ix
}

func TestMakePlan(t *testing.T) {
	const k = MinSize
	have := index("abcdef")
	// New image: a and b kept, X new, d kept, e and f swapped, Y new at the end.
	want := index("abXdfeY")
	p := MakePlan(want, have, 0)
	var local []int64
	for _, s := range p.Steps {
		if s.Local {
			local = append(local, s.LocalOffset/k)
		} else {
			local = append(local, -1)
		}
	}
	if w := []int64{0, 1, -1, 3, 5, 4, -1}; !reflect.DeepEqual(local, w) {
		t.Errorf("local chunk numbers %v, want %v", local, w)
	}
	if w := []Range{{2 * k, k}, {6 * k, k}}; !reflect.DeepEqual(p.Ranges, w) {
		t.Errorf("ranges %v, want %v", p.Ranges, w)
	}
	if p.FetchBytes != 2*k || p.LocalBytes != 5*k || p.Length != 7*k || p.SHA256 != want.SHA256 {
		t.Errorf("fetch %d local %d length %d", p.FetchBytes, p.LocalBytes, p.Length)
	}

	// Adjacent new chunks make one range.
	p = MakePlan(index("aXYdZ"), have, 0)
	if w := []Range{{k, 2 * k}, {4 * k, k}}; !reflect.DeepEqual(p.Ranges, w) {
		t.Errorf("adjacent: ranges %v, want %v", p.Ranges, w)
	}

	// A local run shorter than the gap between two fetched ranges is
	// fetched with them; a run as long as the gap is not; a local run at
	// either end is never merged.
	p = MakePlan(index("aXdYbcZf"), have, 2*k)
	if w := []Range{{k, 3 * k}, {6 * k, k}}; !reflect.DeepEqual(p.Ranges, w) {
		t.Errorf("merge gap: ranges %v, want %v", p.Ranges, w)
	}
	if p.Steps[2].Local || !p.Steps[4].Local || !p.Steps[0].Local || !p.Steps[7].Local {
		t.Errorf("merge gap: steps %+v", p.Steps)
	}
	if p.FetchBytes != 4*k || p.LocalBytes != 4*k {
		t.Errorf("merge gap: fetch %d local %d", p.FetchBytes, p.LocalBytes)
	}

	// Same hash, other length: not a match.
	p = MakePlan(index("ab", k, k+1), index("ab"), 0)
	if !p.Steps[0].Local || p.Steps[1].Local {
		t.Errorf("length mismatch taken for a match: %+v", p.Steps)
	}

	// Nothing local: one range, the whole image.
	p = MakePlan(want, Index{}, DefaultMergeGap)
	if w := []Range{{0, want.Length}}; !reflect.DeepEqual(p.Ranges, w) || p.FetchBytes != want.Length {
		t.Errorf("no local image: %v", p.Ranges)
	}
}
