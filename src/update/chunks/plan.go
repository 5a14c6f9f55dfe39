package chunks

import "crypto/sha256"

// Step is one chunk of the new image and where its bytes come from.
type Step struct {
	// Chunk is the new image's chunk (offset and length in the new image,
	// the hash the bytes must have).
	Chunk
	// Local says the running slot holds these bytes, at LocalOffset; else
	// they are fetched, inside one of the plan's Ranges.
	Local       bool
	LocalOffset int64
}

// Range is a byte range of the new image to fetch (one HTTP Range
// request): Offset to Offset+Length-1.
type Range struct {
	Offset, Length int64
}

// End is the first byte after the range.
func (r Range) End() int64 { return r.Offset + r.Length }

// Plan is how to assemble a new image: every chunk in order, each copied
// from the running slot or fetched; the fetched ones grouped into ranges.
type Plan struct {
	// Length and SHA256 are the new image's.
	Length int64
	SHA256 [sha256.Size]byte
	// Steps cover the new image in order.
	Steps []Step
	// Ranges are the fetched bytes, in order, not overlapping; each
	// covers whole steps (those with Local false).
	Ranges []Range
	// FetchBytes is the sum of the ranges' lengths (the bytes on the wire
	// but for HTTP's own), LocalBytes the bytes copied from the running
	// slot; they add up to Length.
	FetchBytes, LocalBytes int64
}

// DefaultMergeGap is the gap MakePlan callers use: local chunks adding up
// to less than this between two fetched ranges are fetched too, because
// one more request (headers, a round trip through a proxy) costs about as
// much as a few kilobytes.
const DefaultMergeGap = 16 << 10

// MakePlan plans the new image (want) from the running slot's image
// (have): a chunk of want whose hash is in have is copied from the first
// place have holds it; the rest are fetched. Fetched chunks next to each
// other make one range, and two ranges separated by local chunks totalling
// less than mergeGap bytes make one range (those chunks are then fetched).
// Equal hashes mean equal bytes (SHA-256); the copy is checked against the
// hash anyway as it lands.
func MakePlan(want, have Index, mergeGap int64) Plan {
	at := make(map[[sha256.Size]byte]Chunk, len(have.Chunks))
	for _, c := range have.Chunks {
		if _, ok := at[c.SHA256]; !ok {
			at[c.SHA256] = c
		}
	}
	p := Plan{Length: want.Length, SHA256: want.SHA256, Steps: make([]Step, len(want.Chunks))}
	for i, c := range want.Chunks {
		s := Step{Chunk: c}
		if h, ok := at[c.SHA256]; ok && h.Length == c.Length {
			s.Local, s.LocalOffset = true, h.Offset
		}
		p.Steps[i] = s
	}
	// Merge: a run of local steps shorter than mergeGap between two
	// fetched steps is fetched.
	for i := 0; i < len(p.Steps); {
		if !p.Steps[i].Local {
			i++
			continue
		}
		j := i
		var run int64
		for j < len(p.Steps) && p.Steps[j].Local {
			run += p.Steps[j].Length
			j++
		}
		if i > 0 && j < len(p.Steps) && run < mergeGap {
			for k := i; k < j; k++ {
				p.Steps[k].Local, p.Steps[k].LocalOffset = false, 0
			}
		}
		i = j
	}
	for _, s := range p.Steps {
		if s.Local {
			p.LocalBytes += s.Length
			continue
		}
		p.FetchBytes += s.Length
		if n := len(p.Ranges); n > 0 && p.Ranges[n-1].End() == s.Offset {
			p.Ranges[n-1].Length += s.Length
		} else {
			p.Ranges = append(p.Ranges, Range{Offset: s.Offset, Length: s.Length})
		}
	}
	return p
}
