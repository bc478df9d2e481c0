package builtins

import "strings"

// Traditional DES crypt(3) needs a DES whose expansion step is perturbed by
// the 12-bit salt, which crypto/des cannot do. This is a plain,
// table-driven DES (FIPS 46-3) with that one hook; the tests check it
// against crypto/des with a zero salt. Tables use the standard's 1-based
// bit numbers, bit 1 being the most significant.

var desIP = [64]byte{
	58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4,
	62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8,
	57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3,
	61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7,
}

var desFP = [64]byte{
	40, 8, 48, 16, 56, 24, 64, 32, 39, 7, 47, 15, 55, 23, 63, 31,
	38, 6, 46, 14, 54, 22, 62, 30, 37, 5, 45, 13, 53, 21, 61, 29,
	36, 4, 44, 12, 52, 20, 60, 28, 35, 3, 43, 11, 51, 19, 59, 27,
	34, 2, 42, 10, 50, 18, 58, 26, 33, 1, 41, 9, 49, 17, 57, 25,
}

var desE = [48]byte{
	32, 1, 2, 3, 4, 5, 4, 5, 6, 7, 8, 9,
	8, 9, 10, 11, 12, 13, 12, 13, 14, 15, 16, 17,
	16, 17, 18, 19, 20, 21, 20, 21, 22, 23, 24, 25,
	24, 25, 26, 27, 28, 29, 28, 29, 30, 31, 32, 1,
}

var desP = [32]byte{
	16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10,
	2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25,
}

var desPC1 = [56]byte{
	57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18,
	10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
	63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22,
	14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
}

var desPC2 = [48]byte{
	14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10,
	23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2,
	41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48,
	44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
}

var desShifts = [16]byte{1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1}

var desS = [8][64]byte{
	{14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7,
		0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8,
		4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0,
		15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13},
	{15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10,
		3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5,
		0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15,
		13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9},
	{10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8,
		13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1,
		13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7,
		1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12},
	{7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15,
		13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9,
		10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4,
		3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14},
	{2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9,
		14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6,
		4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14,
		11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3},
	{12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11,
		10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8,
		9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6,
		4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13},
	{4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1,
		13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6,
		1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2,
		6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12},
	{13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7,
		1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2,
		7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8,
		2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11},
}

// desPermute maps the in-bit input (bit 1 most significant) through table
// into a len(table)-bit output.
func desPermute(in uint64, inBits int, table []byte) uint64 {
	var out uint64
	for _, pos := range table {
		out = out<<1 | (in>>(uint(inBits)-uint(pos)))&1
	}
	return out
}

// desSubkeys derives the sixteen 48-bit round keys from a 64-bit key.
func desSubkeys(key uint64) [16]uint64 {
	cd := desPermute(key, 64, desPC1[:])
	c, d := uint32(cd>>28), uint32(cd&0x0fffffff)

	var keys [16]uint64
	for round, shift := range desShifts {
		c = (c<<shift | c>>(28-shift)) & 0x0fffffff
		d = (d<<shift | d>>(28-shift)) & 0x0fffffff
		keys[round] = desPermute(uint64(c)<<28|uint64(d), 56, desPC2[:])
	}
	return keys
}

// desSaltMask turns the 12-bit crypt salt into a mask over the 48-bit
// expansion output. Salt bit i (least significant first) swaps expansion
// bits i+1 and i+25, counted from the most significant bit of each half.
func desSaltMask(salt uint32) uint64 {
	var mask uint64
	for i := 0; i < 12; i++ {
		if salt>>uint(i)&1 != 0 {
			mask |= 1 << uint(47-i)
		}
	}
	return mask
}

// desFeistel is DES's round function with the salt swap applied to the
// expansion output.
func desFeistel(r uint32, subkey, saltMask uint64) uint32 {
	e := desPermute(uint64(r), 32, desE[:])

	// Swap the masked bits of the left half with their partners 24 bits
	// to the right.
	left, right := e>>24, e&0xffffff
	swap := (left ^ right) & (saltMask >> 24)
	e = (left^swap)<<24 | (right ^ swap)

	x := e ^ subkey
	var s uint32
	for box := 0; box < 8; box++ {
		six := byte(x>>uint(42-6*box)) & 0x3f
		row := (six>>4)&2 | six&1
		col := (six >> 1) & 0x0f
		s = s<<4 | uint32(desS[box][row*16+col])
	}
	return uint32(desPermute(uint64(s), 32, desP[:]))
}

// desEncryptBlock encrypts one 64-bit block.
func desEncryptBlock(block uint64, keys *[16]uint64, saltMask uint64) uint64 {
	lr := desPermute(block, 64, desIP[:])
	l, r := uint32(lr>>32), uint32(lr)
	for round := 0; round < 16; round++ {
		l, r = r, l^desFeistel(r, keys[round], saltMask)
	}
	return desPermute(uint64(r)<<32|uint64(l), 64, desFP[:])
}

// desCrypt implements traditional crypt(3): the first eight key bytes,
// shifted left one bit, form the DES key that encrypts a zero block 25
// times under the two-character salt.
func desCrypt(key, salt string) string {
	var k uint64
	for i := 0; i < 8; i++ {
		var b byte
		if i < len(key) {
			b = key[i]
		}
		k = k<<8 | uint64(b<<1)
	}

	saltValue := uint32(strings.IndexByte(cryptAlphabet, salt[0])) |
		uint32(strings.IndexByte(cryptAlphabet, salt[1]))<<6
	keys := desSubkeys(k)
	mask := desSaltMask(saltValue)

	var block uint64
	for i := 0; i < 25; i++ {
		block = desEncryptBlock(block, &keys, mask)
	}

	// 64 bits plus two zero bits make eleven characters, most significant
	// first.
	out := []byte(salt[:2])
	for shift := 58; shift >= 4; shift -= 6 {
		out = append(out, cryptAlphabet[block>>uint(shift)&0x3f])
	}
	out = append(out, cryptAlphabet[block&0x0f<<2])
	return string(out)
}
