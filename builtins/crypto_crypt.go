package builtins

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"hash"
	"strconv"
	"strings"

	"golang.org/x/crypto/blowfish"
)

// This file implements crypt(3) for the hash methods that glibc and
// libxcrypt accept: MD5-crypt ($1$), SHA-crypt ($5$, $6$), bcrypt ($2a$,
// $2b$, $2y$) and traditional DES. The algorithms follow the published
// descriptions (Poul-Henning Kamp's MD5-crypt, Ulrich Drepper's "Unix crypt
// using SHA-256 and SHA-512", Provos and Mazières' bcrypt), and the tests
// compare the results with the system's crypt(3).

// cryptAlphabet is the base-64 alphabet of crypt(3) output.
const cryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// cryptFailure is what crypt returns for a salt it does not support. A
// salt that itself begins with it gets cryptFailureAlt instead, so that
// `crypt($pw, $hash) === $hash` can never hold for a corrupt hash.
const (
	cryptFailure    = "*0"
	cryptFailureAlt = "*1"
)

// unixCrypt hashes key with the method and salt given by salt, returning
// the whole hash string, or "*0" when the salt is not supported.
func unixCrypt(key, salt string) string {
	var out string
	var ok bool
	switch {
	case strings.HasPrefix(salt, "$1$"):
		out, ok = md5Crypt(key, salt[3:]), true
	case strings.HasPrefix(salt, "$5$"):
		out, ok = shaCrypt(key, salt[3:], sha256Crypt)
	case strings.HasPrefix(salt, "$6$"):
		out, ok = shaCrypt(key, salt[3:], sha512Crypt)
	case strings.HasPrefix(salt, "$2a$"), strings.HasPrefix(salt, "$2b$"), strings.HasPrefix(salt, "$2y$"):
		out, ok = bcryptCrypt(key, salt)
	case len(salt) >= 2 && strings.IndexByte(cryptAlphabet, salt[0]) >= 0 && strings.IndexByte(cryptAlphabet, salt[1]) >= 0:
		out, ok = desCrypt(key, salt), true
	}
	if ok {
		return out
	}
	if strings.HasPrefix(salt, cryptFailure) {
		return cryptFailureAlt
	}
	return cryptFailure
}

// cryptEncode24 appends n characters encoding the 24-bit group b2 b1 b0,
// least significant six bits first, as MD5-crypt and SHA-crypt do.
func cryptEncode24(out []byte, b2, b1, b0 byte, n int) []byte {
	w := uint32(b2)<<16 | uint32(b1)<<8 | uint32(b0)
	for ; n > 0; n-- {
		out = append(out, cryptAlphabet[w&0x3f])
		w >>= 6
	}
	return out
}

// md5Crypt implements "$1$": the salt is at most 8 characters up to the
// next '$', and the digest is stretched over 1000 rounds.
func md5Crypt(key, salt string) string {
	if i := strings.IndexByte(salt, '$'); i >= 0 {
		salt = salt[:i]
	}
	if len(salt) > 8 {
		salt = salt[:8]
	}

	alt := md5.Sum([]byte(key + salt + key))

	ctx := md5.New()
	ctx.Write([]byte(key + "$1$" + salt))
	for n := len(key); n > 0; n -= 16 {
		ctx.Write(alt[:min(n, 16)])
	}
	for n := len(key); n > 0; n >>= 1 {
		if n&1 != 0 {
			ctx.Write([]byte{0})
		} else {
			ctx.Write([]byte(key[:1]))
		}
	}
	final := ctx.Sum(nil)

	for i := 0; i < 1000; i++ {
		ctx.Reset()
		if i&1 != 0 {
			ctx.Write([]byte(key))
		} else {
			ctx.Write(final)
		}
		if i%3 != 0 {
			ctx.Write([]byte(salt))
		}
		if i%7 != 0 {
			ctx.Write([]byte(key))
		}
		if i&1 != 0 {
			ctx.Write(final)
		} else {
			ctx.Write([]byte(key))
		}
		final = ctx.Sum(final[:0])
	}

	out := []byte("$1$" + salt + "$")
	for _, g := range [5][3]int{{0, 6, 12}, {1, 7, 13}, {2, 8, 14}, {3, 9, 15}, {4, 10, 5}} {
		out = cryptEncode24(out, final[g[0]], final[g[1]], final[g[2]], 4)
	}
	out = cryptEncode24(out, 0, 0, final[11], 2)
	return string(out)
}

// shaCryptVariant describes one of SHA-crypt's two hash sizes.
type shaCryptVariant struct {
	prefix  string
	newHash func() hash.Hash

	// order lists the 24-bit groups that the final digest is permuted into,
	// each most significant byte first. tail is the last, shorter group (-1
	// is a zero byte) and tailChars its length in characters.
	order     [][3]int
	tail      [3]int
	tailChars int
}

var (
	sha256Crypt = shaCryptVariant{"$5$", sha256.New, cryptOrder(10, false), [3]int{-1, 31, 30}, 3}
	sha512Crypt = shaCryptVariant{"$6$", sha512.New, cryptOrder(21, true), [3]int{-1, -1, 63}, 2}
)

// cryptOrder builds SHA-crypt's byte order: group i takes bytes i,
// i+stride and i+2*stride, rotated by i mod 3. The rotation turns one way
// for SHA-256 and the other for SHA-512.
func cryptOrder(stride int, rotateLeft bool) [][3]int {
	var order [][3]int
	for i := 0; i < stride; i++ {
		x, y, z := i, i+stride, i+2*stride
		switch {
		case i%3 == 0:
			order = append(order, [3]int{x, y, z})
		case (i%3 == 1) == rotateLeft:
			order = append(order, [3]int{y, z, x})
		default:
			order = append(order, [3]int{z, x, y})
		}
	}
	return order
}

// SHA-crypt round limits and default.
const (
	shaCryptRoundsDefault = 5000
	shaCryptRoundsMin     = 1000
	shaCryptRoundsMax     = 999_999_999
)

// shaCrypt implements "$5$" and "$6$". setting is the salt after the
// prefix, optionally starting with "rounds=N$".
func shaCrypt(key, setting string, v shaCryptVariant) (string, bool) {
	rounds := shaCryptRoundsDefault
	customRounds := false
	if rest, found := strings.CutPrefix(setting, "rounds="); found {
		digits, tail, ok := strings.Cut(rest, "$")
		if !ok {
			return "", false
		}
		// libxcrypt rejects a round count out of range where glibc
		// clamps it. Rejecting is the safer reading of a corrupt hash.
		n, err := strconv.Atoi(digits)
		if err != nil || n < shaCryptRoundsMin || n > shaCryptRoundsMax {
			return "", false
		}
		rounds = n
		customRounds = true
		setting = tail
	}

	salt := setting
	if i := strings.IndexByte(salt, '$'); i >= 0 {
		salt = salt[:i]
	}
	if len(salt) > 16 {
		salt = salt[:16]
	}

	h := v.newHash()
	size := h.Size()

	// Digest B: key, salt, key.
	h.Write([]byte(key + salt + key))
	b := h.Sum(nil)

	// Digest A: key, salt, then B for each byte of the key, then B or the
	// key for each bit of the key length.
	h.Reset()
	h.Write([]byte(key + salt))
	n := len(key)
	for ; n > size; n -= size {
		h.Write(b)
	}
	h.Write(b[:n])
	for n = len(key); n > 0; n >>= 1 {
		if n&1 != 0 {
			h.Write(b)
		} else {
			h.Write([]byte(key))
		}
	}
	a := h.Sum(nil)

	// Byte sequences P (from the key) and S (from the salt).
	h.Reset()
	for range len(key) {
		h.Write([]byte(key))
	}
	p := repeatToLength(h.Sum(nil), len(key))

	h.Reset()
	for range 16 + int(a[0]) {
		h.Write([]byte(salt))
	}
	s := repeatToLength(h.Sum(nil), len(salt))

	for i := 0; i < rounds; i++ {
		h.Reset()
		if i&1 != 0 {
			h.Write(p)
		} else {
			h.Write(a)
		}
		if i%3 != 0 {
			h.Write(s)
		}
		if i%7 != 0 {
			h.Write(p)
		}
		if i&1 != 0 {
			h.Write(a)
		} else {
			h.Write(p)
		}
		a = h.Sum(a[:0])
	}

	out := []byte(v.prefix)
	if customRounds {
		out = append(out, "rounds="+strconv.Itoa(rounds)+"$"...)
	}
	out = append(out, salt+"$"...)
	byteAt := func(i int) byte {
		if i < 0 {
			return 0
		}
		return a[i]
	}
	for _, g := range v.order {
		out = cryptEncode24(out, a[g[0]], a[g[1]], a[g[2]], 4)
	}
	out = cryptEncode24(out, byteAt(v.tail[0]), byteAt(v.tail[1]), byteAt(v.tail[2]), v.tailChars)
	return string(out), true
}

// repeatToLength repeats block until it is n bytes long.
func repeatToLength(block []byte, n int) []byte {
	out := make([]byte, 0, n)
	for len(out) < n {
		out = append(out, block[:min(len(block), n-len(out))]...)
	}
	return out
}

// bcryptAlphabet is the base-64 alphabet of bcrypt, in standard bit order.
const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

var bcryptEncoding = base64.NewEncoding(bcryptAlphabet).WithPadding(base64.NoPadding)

// bcryptCrypt implements "$2a$", "$2b$" and "$2y$": a two-digit cost from
// 4 to 31 and a 22-character salt. The three variants hash alike for keys
// shorter than 256 bytes.
//
// NOTE: a cost near 31 takes days; the run's time limit cannot interrupt
// it because the key schedule runs inside one builtin call.
func bcryptCrypt(key, setting string) (string, bool) {
	// "$2b$" "NN" "$" salt[22]
	if len(setting) < 29 || setting[6] != '$' {
		return "", false
	}
	cost, err := strconv.Atoi(setting[4:6])
	if err != nil || cost < 4 || cost > 31 {
		return "", false
	}
	saltText := setting[7:29]
	for i := 0; i < len(saltText); i++ {
		if strings.IndexByte(bcryptAlphabet, saltText[i]) < 0 {
			return "", false
		}
	}
	salt, err := bcryptEncoding.DecodeString(saltText)
	if err != nil || len(salt) < 16 {
		return "", false
	}
	salt = salt[:16]

	// The key includes its terminating NUL; Blowfish uses at most 72 bytes.
	ckey := append([]byte(key), 0)
	if len(ckey) > 72 {
		ckey = ckey[:72]
	}
	c, err := blowfish.NewSaltedCipher(ckey, salt)
	if err != nil {
		return "", false
	}
	for i := uint64(0); i < 1<<uint(cost); i++ {
		blowfish.ExpandKey(ckey, c)
		blowfish.ExpandKey(salt, c)
	}

	text := []byte("OrpheanBeholderScryDoubt")
	for i := 0; i < len(text); i += 8 {
		for range 64 {
			c.Encrypt(text[i:i+8], text[i:i+8])
		}
	}

	// Re-encoding the decoded salt clears unused bits of its last character,
	// as other implementations do.
	return setting[:7] + bcryptEncoding.EncodeToString(salt) + bcryptEncoding.EncodeToString(text[:23]), true
}
