// Command probe is a daemon of tests/boot's images: twice a second it
// drops the page cache and reads /usr/share/picket/probe whole, so that a
// block changed on the disk under the running box is read again, through
// dm-verity, as a real daemon's next read of its files would be. It
// prints the first good read and every failure.
package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"time"
)

const path = "/usr/share/picket/probe"

func main() {
	said := false
	for {
		// 1: the page cache only (clean pages), enough to make the
		// next read go to the disk.
		if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("1"), 0); err != nil {
			fmt.Printf("drop caches: %v\n", err)
		}
		b, err := os.ReadFile(path)
		switch {
		case err != nil:
			fmt.Printf("read %s: %v\n", path, err)
		case !said:
			fmt.Printf("read %s: %d bytes, sha256 %x\n", path, len(b), sha256.Sum256(b))
			said = true
		}
		time.Sleep(500 * time.Millisecond)
	}
}
