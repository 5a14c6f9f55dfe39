package netbench

import (
	"crypto/md5"
	"crypto/rand"
)

// md5Crypt returns the "$1$salt$hash" MD5-crypt of password, the htpasswd
// format squid's basic_ncsa_auth checks with crypt(3) (and with its own
// MD5 code). The algorithm is Poul-Henning Kamp's, as in FreeBSD and glibc.
func md5Crypt(password, salt string) string {
	const magic = "$1$"
	if len(salt) > 8 {
		salt = salt[:8]
	}
	pw := []byte(password)
	alt := md5.Sum([]byte(password + salt + password))

	ctx := md5.New()
	ctx.Write(pw)
	ctx.Write([]byte(magic + salt))
	for i := len(pw); i > 0; i -= 16 {
		ctx.Write(alt[:min(i, 16)])
	}
	for i := len(pw); i > 0; i >>= 1 {
		if i&1 != 0 {
			ctx.Write([]byte{0})
		} else {
			ctx.Write(pw[:1])
		}
	}
	final := ctx.Sum(nil)
	for i := range 1000 {
		c := md5.New()
		if i&1 != 0 {
			c.Write(pw)
		} else {
			c.Write(final)
		}
		if i%3 != 0 {
			c.Write([]byte(salt))
		}
		if i%7 != 0 {
			c.Write(pw)
		}
		if i&1 != 0 {
			c.Write(final)
		} else {
			c.Write(pw)
		}
		final = c.Sum(nil)
	}
	const itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	out := []byte(magic + salt + "$")
	enc := func(v uint32, n int) {
		for ; n > 0; n-- {
			out = append(out, itoa64[v&0x3f])
			v >>= 6
		}
	}
	f := func(a, b, c int) uint32 { return uint32(final[a])<<16 | uint32(final[b])<<8 | uint32(final[c]) }
	enc(f(0, 6, 12), 4)
	enc(f(1, 7, 13), 4)
	enc(f(2, 8, 14), 4)
	enc(f(3, 9, 15), 4)
	enc(f(4, 10, 5), 4)
	enc(uint32(final[11]), 2)
	return string(out)
}

// randomSalt returns 8 characters of the crypt alphabet.
func randomSalt() string {
	const itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = itoa64[int(b[i])%len(itoa64)]
	}
	return string(b)
}
