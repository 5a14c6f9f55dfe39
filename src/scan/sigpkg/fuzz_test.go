package sigpkg

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"testing"
)

// FuzzVerify feeds arbitrary bytes to Verify as a package (what a local
// install or, later, an over-the-air download hands it). Nothing may
// panic or allocate past the caps, and whatever it accepts must be a
// package Pack makes from its header and payload with the trusted key:
// signed, canonical, its payload exactly what the header says.
func FuzzVerify(f *testing.F) {
	k := testKey("release")
	trusted := []ed25519.PublicKey{pub(k)}
	good := pack(f, "2.2.245-2", k)
	f.Add(good)
	f.Add(good[:prefixLen])
	f.Add(good[:len(good)-1])
	f.Add(append(bytes.Clone(good), 0))
	f.Add(pack(f, "1.0", testKey("attacker")))
	huge := bytes.Clone(good)
	binary.BigEndian.PutUint32(huge[8:], 0xffffffff)
	f.Add(huge)
	f.Add([]byte("PICKETPK"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := VerifyBytes(b, trusted)
		if err != nil {
			return
		}
		again, err := Pack(p.Header.Version, p.Header.Created, p.Payload, k)
		if err != nil {
			t.Fatalf("accepted a header Pack refuses: %+v: %v", p.Header, err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("accepted %q, which is not the package of its header and payload", b)
		}
	})
}
