package builtins

import (
	"bytes"
	"crypto/des"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"strings"
	"testing"
)

func TestUnixCryptVectors(t *testing.T) {
	// Expected values come from the system crypt(3) (libxcrypt, through
	// Perl's crypt builtin), except where a comment says otherwise.
	cases := []struct{ key, salt, want string }{
		{"test", `ab`, `abgOeLfPimXQo`},
		{"", `ab`, `abmF1QH4PEr.E`},
		{"password12345", `Zz`, `ZziFATVXHo2.6`},
		{"a", `./`, `./xT2u5QYaHcU`},
		{"test", `$1$saltsalt$`, `$1$saltsalt$tTWg0JeO/sYmHvtKmZE8c.`},
		{"", `$1$$`, `$1$$qRPK7m23GJusamGpoGLby/`},
		{"longpasswordthatexceedssixteenbytes", `$1$abcdefghij$`, `$1$abcdefgh$5CWgVJlH.OWVX0vuy.4FA1`},
		{"test", `$5$saltsalt$`, `$5$saltsalt$q6kNPzk9GPb3dpYKO2TUS45z2kiVxsUVz7eWVJcih.0`},
		{"test", `$6$saltsalt$`, `$6$saltsalt$JcVDtuB6d1BHhCd5RPBh8g8xX/1CbY8EU2PN0MTaj2/Mypw4P./C6dN4j0HALhzBDTocyW1Jm.gYaTPjFGCV40`},
		{"", `$6$$`, `$6$$/chiBau24cE26QQVW3IfIe68Xu5.JQ4E8Ie7lcRLwqxO5cxGuBhqF2HmTL.zWJ9zjChg3yJYFXeGBQ2y3Ba1d1`},
		{"Hello world!", `$5$rounds=10000$saltstringsaltstring`, `$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA`},
		{"Hello world!", `$6$rounds=1000$saltstring`, `$6$rounds=1000$saltstring$Zu2Vknok2/f53APfN687ADnzeNBLcsEgTwvcBHMD2./07rZQAt8vsuKVufD15dyZh.LOLB/uZKf6I3GyON4bp/`},
		{"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", `$6$rounds=1500$abc$`, `$6$rounds=1500$abc$Gt0iqt/lnJ4h91uQ.kT3aRazxuPbrstOGTInPNToBz14Bg/RRGqMj08TArw7QeyHEMBOg1HNKyGNIKknTi3Ex1`},
		{"test", `$2b$05$abcdefghijklmnopqrstuu`, `$2b$05$abcdefghijklmnopqrstuuMceFj4VbmHOj8C7PetMxzZkwre/z.Ri`},
		{"", `$2a$04$abcdefghijklmnopqrstuv`, `$2a$04$abcdefghijklmnopqrstuubyCG3zY1GIXMyxfivm.ClDiInHzxjiq`},
		{"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", `$2y$04$ABCDEFGHIJKLMNOPQRSTUV`, `$2y$04$ABCDEFGHIJKLMNOPQRSTUOHLAerLU988SKDIfYSEnDP1uVbY5LlIi`},
		{"pw", `$2b$04$abcdefghijklmnopqrstuvwxyz`, `$2b$04$abcdefghijklmnopqrstuuyvPXIbu7xe6/CED2DzX8z6Si09MlzlW`},
		{"x", `$3$x`, `*0`}, // NT hash: libxcrypt has it, crypt() here does not
		{"x", `*0`, `*1`},
		{"x", `a`, `*0`},
		{"x", `a!`, `*0`},
		{"x", `$2b$03$abcdefghijklmnopqrstuu`, `*0`},
		{"x", `$5$rounds=99$ab$`, `*0`},
	}
	for _, c := range cases {
		if got := unixCrypt(c.key, c.salt); got != c.want {
			t.Errorf("crypt(%q, %q) = %q, want %q", c.key, c.salt, got, c.want)
		}
	}
}

func TestUnixCryptRoundTrip(t *testing.T) {
	for _, salt := range []string{"ab", "$1$x$", "$5$abc$", "$6$abc$", "$2b$04$abcdefghijklmnopqrstuu"} {
		hash := unixCrypt("secret", salt)
		if got := unixCrypt("secret", hash); got != hash {
			t.Errorf("crypt(secret, %q) = %q, want the hash back", hash, got)
		}
		if got := unixCrypt("Secret", hash); got == hash {
			t.Errorf("a different key reproduced %q", hash)
		}
	}
}

func TestDESMatchesCryptoDES(t *testing.T) {
	for i := 0; i < 200; i++ {
		var key, block [8]byte
		rand.Read(key[:])
		rand.Read(block[:])

		c, err := des.NewCipher(key[:])
		if err != nil {
			t.Fatal(err)
		}
		var want [8]byte
		c.Encrypt(want[:], block[:])

		keys := desSubkeys(binary.BigEndian.Uint64(key[:]))
		got := desEncryptBlock(binary.BigEndian.Uint64(block[:]), &keys, 0)
		if got != binary.BigEndian.Uint64(want[:]) {
			t.Fatalf("DES(%x, %x) = %016x, want %x", key, block, got, want)
		}
	}
}

func TestSHA2Sizes(t *testing.T) {
	for _, bits := range []int{224, 256, 384, 512} {
		newHash, err := newSHA2(bits)
		if err != nil {
			t.Fatalf("newSHA2(%d): %v", bits, err)
		}
		if got := len(digest(newHash, "abc")) * 8; got != bits {
			t.Errorf("sha2 %d gives %d bits", bits, got)
		}
	}
	for _, bits := range []int{0, 1, 128, 257} {
		if _, err := newSHA2(bits); err == nil {
			t.Errorf("newSHA2(%d) accepted", bits)
		}
	}
}

func TestFNV1a32(t *testing.T) {
	// Published FNV-1a 32-bit test values.
	cases := map[string]uint32{"": 0x811c9dc5, "a": 0xe40c292c, "foobar": 0xbf9cf968}
	for in, want := range cases {
		if got := fnv1a32(in); got != want {
			t.Errorf("fnv1a32(%q) = %#x, want %#x", in, got, want)
		}
	}
}

func TestAESVectors(t *testing.T) {
	// FIPS-197 appendix C.1 and NIST SP 800-38A F.2.1 (first block).
	key := mustHex(t, "000102030405060708090a0b0c0d0e0f")
	plain := mustHex(t, "00112233445566778899aabbccddeeff")
	got, err := aesEncrypt(plain, key, aesOptions{mode: "ecb"})
	if err != nil || hex.EncodeToString(got) != "69c4e0d86a7b0430d8cdb78070b4c55a" {
		t.Fatalf("ECB = %x, %v", got, err)
	}

	cbcKey := mustHex(t, "2b7e151628aed2a6abf7158809cf4f3c")
	iv := mustHex(t, "000102030405060708090a0b0c0d0e0f")
	block := mustHex(t, "6bc1bee22e409f96e93d7e117393172a")
	got, err = aesEncrypt(block, cbcKey, aesOptions{mode: "cbc", iv: iv})
	if err != nil || hex.EncodeToString(got) != "7649abac8119b246cee98e9b12e9197d" {
		t.Fatalf("CBC = %x, %v", got, err)
	}
}

func TestAESRoundTripPadding(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	iv := bytes.Repeat([]byte{9}, 16)
	for _, mode := range []string{"ecb", "cbc"} {
		for _, n := range []int{0, 1, 15, 16, 17, 100} {
			msg := bytes.Repeat([]byte{'m'}, n)
			opts := aesOptions{mode: mode, iv: iv, padding: true}
			enc, err := aesEncrypt(msg, key, opts)
			if err != nil {
				t.Fatalf("%s encrypt %d bytes: %v", mode, n, err)
			}
			if len(enc) != (n/16+1)*16 {
				t.Errorf("%s: %d bytes padded to %d", mode, n, len(enc))
			}
			dec, err := aesDecrypt(enc, key, opts)
			if err != nil || !bytes.Equal(dec, msg) {
				t.Errorf("%s round trip of %d bytes = %q, %v", mode, n, dec, err)
			}
		}
	}
}

func TestAESInvalidInput(t *testing.T) {
	key16 := bytes.Repeat([]byte{1}, 16)
	cases := []struct {
		name string
		key  []byte
		msg  []byte
		opts aesOptions
	}{
		{"key of 15 bytes", key16[:15], make([]byte, 16), aesOptions{mode: "ecb"}},
		{"unknown mode", key16, make([]byte, 16), aesOptions{mode: "ofb"}},
		{"cbc without iv", key16, make([]byte, 16), aesOptions{mode: "cbc"}},
		{"short iv", key16, make([]byte, 16), aesOptions{mode: "cbc", iv: key16[:8]}},
		{"unpadded partial block", key16, make([]byte, 17), aesOptions{mode: "ecb"}},
	}
	for _, c := range cases {
		if _, err := aesEncrypt(c.msg, c.key, c.opts); err == nil {
			t.Errorf("encrypt with %s succeeded", c.name)
		}
	}

	// A ciphertext whose padding bytes are wrong.
	enc, _ := aesEncrypt(make([]byte, 16), key16, aesOptions{mode: "ecb"})
	if _, err := aesDecrypt(enc, key16, aesOptions{mode: "ecb", padding: true}); err == nil {
		t.Error("decrypt accepted invalid padding")
	}
	if _, err := aesDecrypt(enc[:15], key16, aesOptions{mode: "ecb"}); err == nil {
		t.Error("decrypt accepted a partial block")
	}
}

func TestRSASignVerify(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := x509.MarshalPKCS1PrivateKey(priv)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(priv)
	pub1 := x509.MarshalPKCS1PublicKey(&priv.PublicKey)
	pubInfo, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: pkcs1})

	msg := []byte("message")
	for _, hashName := range []string{"", "md5", "sha1", "sha256", "sha512"} {
		for _, privCase := range []struct {
			key  []byte
			opts rsaKeyOptions
		}{
			{pkcs1, rsaKeyOptions{hash: hashName}},
			{pkcs8, rsaKeyOptions{hash: hashName, format: "PrivateKeyInfo"}},
			{pemKey, rsaKeyOptions{hash: hashName, pem: true}},
		} {
			key, err := parseRSAPrivateKey(privCase.key, privCase.opts)
			if err != nil {
				t.Fatalf("parse %+v: %v", privCase.opts, err)
			}
			sig, err := rsaSignPKCS1(msg, key, hashName)
			if err != nil {
				t.Fatalf("sign with %q: %v", hashName, err)
			}

			for _, pubCase := range []struct {
				key    []byte
				format string
			}{{pub1, ""}, {pubInfo, "SubjectPublicKeyInfo"}} {
				pub, err := parseRSAPublicKey(pubCase.key, rsaKeyOptions{format: pubCase.format})
				if err != nil {
					t.Fatal(err)
				}
				if ok, err := rsaVerifyPKCS1(msg, sig, pub, hashName); !ok || err != nil {
					t.Errorf("verify %q/%q = %v, %v", hashName, pubCase.format, ok, err)
				}
				if ok, _ := rsaVerifyPKCS1([]byte("other"), sig, pub, hashName); ok {
					t.Errorf("verify of another message passed with %q", hashName)
				}
			}
		}
	}

	if _, err := parseRSAPrivateKey([]byte("junk"), rsaKeyOptions{}); err == nil {
		t.Error("junk private key parsed")
	}
	if _, err := parseRSAPrivateKey(pkcs1, rsaKeyOptions{format: "PrivateKeyInfo"}); err == nil {
		t.Error("PKCS#1 key parsed as PKCS#8")
	}
	if _, err := parseRSAPublicKey(pub1, rsaKeyOptions{format: "X"}); err == nil {
		t.Error("unknown public key format accepted")
	}
	if _, err := rsaSignPKCS1(msg, priv, "sha3"); err == nil {
		t.Error("unknown hash accepted")
	}
}

func TestEd25519Keys(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	msg := []byte("message")

	for _, key := range [][]byte{priv.Seed(), priv} {
		k, err := ed25519Key(key)
		if err != nil {
			t.Fatalf("key of %d bytes: %v", len(key), err)
		}
		sig := ed25519.Sign(k, msg)
		if ok, err := ed25519Verify(msg, sig, pub); !ok || err != nil {
			t.Errorf("verify with a %d-byte key = %v, %v", len(key), ok, err)
		}
		if ok, _ := ed25519Verify([]byte("x"), sig, pub); ok {
			t.Error("verify of another message passed")
		}
	}
	if _, err := ed25519Key(make([]byte, 31)); err == nil {
		t.Error("31-byte key accepted")
	}
	if _, err := ed25519Verify(msg, make([]byte, 63), pub); err == nil {
		t.Error("63-byte signature accepted")
	}
	if _, err := ed25519Verify(msg, make([]byte, 64), pub[:31]); err == nil {
		t.Error("31-byte public key accepted")
	}
}

func TestRandomInteger(t *testing.T) {
	seen := map[int64]bool{}
	for i := 0; i < 1000; i++ {
		n := randomInteger(-2, 2)
		if n < -2 || n > 2 {
			t.Fatalf("randomInteger(-2, 2) = %d", n)
		}
		seen[n] = true
	}
	if len(seen) != 5 {
		t.Errorf("1000 draws in [-2, 2] hit only %v", seen)
	}
	if n := randomInteger(7, 7); n != 7 {
		t.Errorf("randomInteger(7, 7) = %d", n)
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
