// Package chunks cuts a slot image into content-defined chunks, writes and
// parses the chunk index a release publishes beside each image
// (rootfs.chunks), and plans a delta download: which chunks of the new
// image the running slot already holds (and where), and which byte ranges
// of the new image must be fetched.
//
// Chunk boundaries depend on the content around them, not on offsets
// (FastCDC: a gear rolling hash over the last 64 bytes, with normalized
// chunking), so an insertion or a removal in one file of a squashfs image
// moves the boundaries of the chunks it touches only: the rest of the
// image cuts the same way as before and is found in the running slot.
//
// The package does no I/O of its own: it reads the io.Reader it is given
// and returns values (layer 1). Sizes: at least MinSize (but the last
// chunk), at most MaxSize, about AvgSize on average; all are fixed
// because the box and the release tool must cut identically.
package chunks

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
)

const (
	// MinSize is the smallest chunk but the image's last one.
	MinSize = 16 << 10
	// AvgSize is the average chunk size the cut points aim at.
	AvgSize = 64 << 10
	// MaxSize is the largest chunk: a cut is forced there.
	MaxSize = 256 << 10
	// MaxIndexSize caps an index file (the design's cap on rootfs.chunks):
	// 8 MiB is some 230,000 chunks, far above a 512 MiB slot's 32,768
	// chunks of MinSize.
	MaxIndexSize = 8 << 20
)

// Chunk is one content-defined piece of an image.
type Chunk struct {
	// Offset is where the chunk starts in its image. It is not stored in
	// the index: it is the sum of the lengths before it.
	Offset int64
	// Length is the chunk's size in bytes, 1 to MaxSize.
	Length int64
	// SHA256 is the hash of the chunk's bytes.
	SHA256 [sha256.Size]byte
}

// Index is an image's chunk list: the image's length and hash and each
// chunk in order; the chunks cover the image exactly.
type Index struct {
	Length int64
	SHA256 [sha256.Size]byte
	Chunks []Chunk
}

// Build reads an image to its end and returns its chunk index. The same
// bytes always give the same index.
func Build(r io.Reader) (Index, error) {
	c := newCutter()
	var ix Index
	whole := sha256.New()
	// The buffer holds at least MaxSize bytes ahead of the cut point until
	// the end of the input, so a cut is always decided on full data.
	buf := make([]byte, 4*MaxSize)
	start, end := 0, 0
	eof := false
	for {
		if !eof && end-start < MaxSize {
			copy(buf, buf[start:end])
			end -= start
			start = 0
			for end < len(buf) && !eof {
				n, err := r.Read(buf[end:])
				end += n
				if err == io.EOF {
					eof = true
				} else if err != nil {
					return Index{}, fmt.Errorf("chunk image at byte %d: %w", ix.Length+int64(end-start), err)
				}
			}
		}
		if start == end {
			break
		}
		n := c.cut(buf[start:end])
		data := buf[start : start+n]
		whole.Write(data)
		ix.Chunks = append(ix.Chunks, Chunk{Offset: ix.Length, Length: int64(n), SHA256: sha256.Sum256(data)})
		ix.Length += int64(n)
		start += n
	}
	whole.Sum(ix.SHA256[:0])
	return ix, nil
}

// cutter holds the gear table: 256 pseudo-random 64-bit values, one per
// byte value, the same on every machine (splitmix64 from a fixed seed).
type cutter struct {
	gear [256]uint64
}

// Masks test the hash's top bits, which depend on the last 64 bytes (the
// low bits depend on the last few only). Before AvgSize a cut needs two
// bits more than the average would (harder), after it two fewer
// (easier): FastCDC's normalized chunking, level 2, which narrows the
// spread of sizes around AvgSize.
const (
	avgBits = 16 // log2(AvgSize)
	maskS   = uint64(1<<(avgBits+2)-1) << (64 - (avgBits + 2))
	maskL   = uint64(1<<(avgBits-2)-1) << (64 - (avgBits - 2))
)

func newCutter() *cutter {
	c := &cutter{}
	x := uint64(0x7069636b65742d31) // "picket-1"
	for i := range c.gear {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		c.gear[i] = z ^ (z >> 31)
	}
	return c
}

// cut returns the length of the next chunk of b, which holds at least
// MaxSize bytes unless it is the end of the image.
func (c *cutter) cut(b []byte) int {
	n := len(b)
	if n <= MinSize {
		return n
	}
	if n > MaxSize {
		n = MaxSize
	}
	normal := AvgSize
	if normal > n {
		normal = n
	}
	var fp uint64
	i := MinSize
	for ; i < normal; i++ {
		fp = fp<<1 + c.gear[b[i]]
		if fp&maskS == 0 {
			return i + 1
		}
	}
	for ; i < n; i++ {
		fp = fp<<1 + c.gear[b[i]]
		if fp&maskL == 0 {
			return i + 1
		}
	}
	return n
}

// Index file format, all integers big-endian:
//
//	magic   8 bytes  "PKCHNK1\n"
//	length  8 bytes  the image's length
//	sha256 32 bytes  the image's hash
//	count   4 bytes  number of chunks
//	count times:
//	  length  4 bytes  the chunk's length
//	  sha256 32 bytes  the chunk's hash
//
// One image has one encoding: the chunks' offsets follow from their
// lengths, and nothing else is stored.
const (
	magic      = "PKCHNK1\n"
	headerSize = 8 + 8 + sha256.Size + 4
	entrySize  = 4 + sha256.Size
)

// Marshal encodes the index in its canonical binary form.
func (ix Index) Marshal() []byte {
	b := make([]byte, 0, headerSize+entrySize*len(ix.Chunks))
	b = append(b, magic...)
	b = be64(b, uint64(ix.Length))
	b = append(b, ix.SHA256[:]...)
	b = be32(b, uint32(len(ix.Chunks)))
	for _, c := range ix.Chunks {
		b = be32(b, uint32(c.Length))
		b = append(b, c.SHA256[:]...)
	}
	return b
}

func be64(b []byte, v uint64) []byte {
	return append(b, byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32), byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func be32(b []byte, v uint32) []byte {
	return append(b, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func get64(b []byte) uint64 {
	return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
}

func get32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// ErrMalformed is matched (errors.Is) by every error Parse returns for
// bytes that are not a valid index.
var ErrMalformed = errors.New("malformed chunk index")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// Parse decodes an index and checks it: the magic, a size within
// MaxIndexSize that matches the chunk count exactly, every chunk 1 to
// MaxSize bytes and at least MinSize but the last, and the lengths adding
// up to the image's length. It cannot check the hashes (it has no image):
// the index file itself is a TUF target, checked against its signed
// length and hash before it is parsed.
func Parse(b []byte) (Index, error) {
	if len(b) > MaxIndexSize {
		return Index{}, malformed("%d bytes, more than the %d allowed", len(b), MaxIndexSize)
	}
	if len(b) < headerSize {
		return Index{}, malformed("%d bytes, shorter than its %d-byte header", len(b), headerSize)
	}
	if string(b[:8]) != magic {
		return Index{}, malformed("bad magic %q", b[:8])
	}
	var ix Index
	length := get64(b[8:])
	if length > 1<<62 {
		return Index{}, malformed("image length %d out of range", length)
	}
	ix.Length = int64(length)
	copy(ix.SHA256[:], b[16:16+sha256.Size])
	count := int64(get32(b[headerSize-4:]))
	if want := headerSize + entrySize*count; int64(len(b)) != want {
		return Index{}, malformed("%d chunks need %d bytes, the file has %d", count, want, len(b))
	}
	if count == 0 && ix.Length != 0 {
		return Index{}, malformed("no chunks for an image of %d bytes", ix.Length)
	}
	ix.Chunks = make([]Chunk, count)
	var off int64
	for i := range ix.Chunks {
		e := b[headerSize+entrySize*int64(i):]
		n := int64(get32(e))
		if n == 0 || n > MaxSize {
			return Index{}, malformed("chunk %d: length %d, want 1 to %d", i, n, MaxSize)
		}
		if n < MinSize && int64(i) != count-1 {
			return Index{}, malformed("chunk %d: length %d below the minimum %d and not the last", i, n, MinSize)
		}
		c := &ix.Chunks[i]
		c.Offset = off
		c.Length = n
		copy(c.SHA256[:], e[4:])
		off += n
	}
	if off != ix.Length {
		return Index{}, malformed("chunks cover %d bytes, the image has %d", off, ix.Length)
	}
	return ix, nil
}

// Read reads an index from r, refusing more than MaxIndexSize bytes
// without reading them all, and parses it.
func Read(r io.Reader) (Index, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxIndexSize+1))
	if err != nil {
		return Index{}, fmt.Errorf("read chunk index: %w", err)
	}
	return Parse(b)
}

// Check says whether the index describes the image of the given length
// and hash (the TUF target's): an index for another image is useless.
func (ix Index) Check(length int64, sum [sha256.Size]byte) error {
	if ix.Length != length || ix.SHA256 != sum {
		return fmt.Errorf("chunk index is for an image of %d bytes, sha256 %x; the target has %d bytes, sha256 %x",
			ix.Length, ix.SHA256, length, sum)
	}
	return nil
}
