package builtins

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"hash/fnv"
	mathrand "math/rand/v2"
	"strings"

	"github.com/halonsh/halonsh/lang/vm"
)

// newSHA2 returns the SHA-2 constructor for a digest size in bits.
func newSHA2(bits int) (func() hash.Hash, error) {
	switch bits {
	case 224:
		return sha256.New224, nil
	case 256:
		return sha256.New, nil
	case 384:
		return sha512.New384, nil
	case 512:
		return sha512.New, nil
	}
	return nil, fmt.Errorf("hash size must be 224, 256, 384 or 512, got %d", bits)
}

// digest returns the digest of message under the hash that newHash builds.
func digest(newHash func() hash.Hash, message string) []byte {
	h := newHash()
	h.Write([]byte(message))
	return h.Sum(nil)
}

// hmacDigest returns the HMAC of message under key.
func hmacDigest(newHash func() hash.Hash, key, message string) []byte {
	m := hmac.New(newHash, []byte(key))
	m.Write([]byte(message))
	return m.Sum(nil)
}

// fnv1a32 is the non-cryptographic hash behind hash(): FNV-1a with 32 bits.
func fnv1a32(message string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(message))
	return h.Sum32()
}

// aesOptions are the settings of aes_encrypt and aes_decrypt.
type aesOptions struct {
	mode    string // "ecb" or "cbc"
	iv      []byte // 16 bytes, required for cbc
	padding bool   // PKCS#7 padding
}

var errAESData = errors.New("invalid AES input")

// aesBlockMode builds the block cipher for key and checks the options. The
// key must be 16, 24 or 32 raw bytes: no padding or truncation is applied.
func aesBlockMode(key []byte, opts aesOptions) (cipher.Block, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	switch opts.mode {
	case "ecb":
	case "cbc":
		if len(opts.iv) != aes.BlockSize {
			return nil, fmt.Errorf("iv must be %d bytes, got %d", aes.BlockSize, len(opts.iv))
		}
	default:
		return nil, fmt.Errorf("unknown mode %q", opts.mode)
	}
	return block, nil
}

// aesEncrypt encrypts message under key in ECB or CBC mode.
func aesEncrypt(message, key []byte, opts aesOptions) ([]byte, error) {
	block, err := aesBlockMode(key, opts)
	if err != nil {
		return nil, err
	}

	data := message
	if opts.padding {
		pad := aes.BlockSize - len(message)%aes.BlockSize
		data = append(bytes.Clone(message), bytes.Repeat([]byte{byte(pad)}, pad)...)
	}
	if len(data)%aes.BlockSize != 0 {
		return nil, errAESData
	}

	out := make([]byte, len(data))
	if opts.mode == "cbc" {
		cipher.NewCBCEncrypter(block, opts.iv).CryptBlocks(out, data)
		return out, nil
	}
	for i := 0; i < len(data); i += aes.BlockSize {
		block.Encrypt(out[i:], data[i:i+aes.BlockSize])
	}
	return out, nil
}

// aesDecrypt reverses aesEncrypt. With padding, invalid PKCS#7 padding is
// an error.
func aesDecrypt(message, key []byte, opts aesOptions) ([]byte, error) {
	block, err := aesBlockMode(key, opts)
	if err != nil {
		return nil, err
	}
	if len(message)%aes.BlockSize != 0 || (opts.padding && len(message) == 0) {
		return nil, errAESData
	}

	out := make([]byte, len(message))
	if opts.mode == "cbc" {
		cipher.NewCBCDecrypter(block, opts.iv).CryptBlocks(out, message)
	} else {
		for i := 0; i < len(message); i += aes.BlockSize {
			block.Decrypt(out[i:], message[i:i+aes.BlockSize])
		}
	}
	if !opts.padding {
		return out, nil
	}

	pad := int(out[len(out)-1])
	if pad == 0 || pad > aes.BlockSize {
		return nil, errAESData
	}
	for _, b := range out[len(out)-pad:] {
		if int(b) != pad {
			return nil, errAESData
		}
	}
	return out[:len(out)-pad], nil
}

// rsaHashes maps the hash option of rsa_sign and rsa_verify to its
// algorithm.
var rsaHashes = map[string]crypto.Hash{
	"md5":    crypto.MD5,
	"sha1":   crypto.SHA1,
	"sha256": crypto.SHA256,
	"sha512": crypto.SHA512,
}

// rsaKeyOptions are the key settings of rsa_sign and rsa_verify.
type rsaKeyOptions struct {
	hash   string // a key of rsaHashes
	format string // PKCS#1 or PKCS#8/PKIX name as upstream spells it
	pem    bool   // the key is PEM text rather than DER bytes
}

// keyDER returns the DER bytes of key, decoding PEM first when asked to.
func (o rsaKeyOptions) keyDER(key []byte) ([]byte, error) {
	if !o.pem {
		return key, nil
	}
	block, _ := pem.Decode(key)
	if block == nil {
		return nil, errors.New("no PEM block in key")
	}
	return block.Bytes, nil
}

// parseRSAPrivateKey reads a private key in the "RSAPrivateKey" (PKCS#1)
// or "PrivateKeyInfo" (PKCS#8) format.
func parseRSAPrivateKey(key []byte, opts rsaKeyOptions) (*rsa.PrivateKey, error) {
	der, err := opts.keyDER(key)
	if err != nil {
		return nil, err
	}
	switch opts.format {
	case "", "RSAPrivateKey":
		return x509.ParsePKCS1PrivateKey(der)
	case "PrivateKeyInfo":
		parsed, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, err
		}
		priv, ok := parsed.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("key is a %T, not an RSA key", parsed)
		}
		return priv, nil
	}
	return nil, fmt.Errorf("unknown private key format %q", opts.format)
}

// parseRSAPublicKey reads a public key in the "RSAPublicKey" (PKCS#1) or
// "SubjectPublicKeyInfo" (PKIX) format.
func parseRSAPublicKey(key []byte, opts rsaKeyOptions) (*rsa.PublicKey, error) {
	der, err := opts.keyDER(key)
	if err != nil {
		return nil, err
	}
	switch opts.format {
	case "", "RSAPublicKey":
		return x509.ParsePKCS1PublicKey(der)
	case "SubjectPublicKeyInfo":
		parsed, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			return nil, err
		}
		pub, ok := parsed.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("key is a %T, not an RSA key", parsed)
		}
		return pub, nil
	}
	return nil, fmt.Errorf("unknown public key format %q", opts.format)
}

// rsaHash returns the hash algorithm and the digest of message for it.
func rsaHash(name string, message []byte) (crypto.Hash, []byte, error) {
	if name == "" {
		name = "sha256"
	}
	h, ok := rsaHashes[name]
	if !ok {
		return 0, nil, fmt.Errorf("unknown hash %q", name)
	}
	d := h.New()
	d.Write(message)
	return h, d.Sum(nil), nil
}

// rsaSignPKCS1 signs message with RSASSA-PKCS1-v1_5.
func rsaSignPKCS1(message []byte, priv *rsa.PrivateKey, hashName string) ([]byte, error) {
	h, sum, err := rsaHash(hashName, message)
	if err != nil {
		return nil, err
	}
	return rsa.SignPKCS1v15(nil, priv, h, sum)
}

// rsaVerifyPKCS1 checks an RSASSA-PKCS1-v1_5 signature.
func rsaVerifyPKCS1(message, signature []byte, pub *rsa.PublicKey, hashName string) (bool, error) {
	h, sum, err := rsaHash(hashName, message)
	if err != nil {
		return false, err
	}
	return rsa.VerifyPKCS1v15(pub, h, sum, signature) == nil, nil
}

// ed25519Key turns a 32-byte seed or a 64-byte expanded key (seed followed
// by the public key) into a private key.
func ed25519Key(key []byte) (ed25519.PrivateKey, error) {
	switch len(key) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(key), nil
	case ed25519.PrivateKeySize:
		return ed25519.PrivateKey(bytes.Clone(key)), nil
	}
	return nil, fmt.Errorf("Ed25519 private key must be %d or %d bytes, got %d",
		ed25519.SeedSize, ed25519.PrivateKeySize, len(key))
}

// ed25519Verify checks a signature; wrong key or signature sizes are
// errors rather than a failed check.
func ed25519Verify(message, signature, publicKey []byte) (bool, error) {
	if len(publicKey) != ed25519.PublicKeySize {
		return false, fmt.Errorf("Ed25519 public key must be %d bytes, got %d", ed25519.PublicKeySize, len(publicKey))
	}
	if len(signature) != ed25519.SignatureSize {
		return false, fmt.Errorf("Ed25519 signature must be %d bytes, got %d", ed25519.SignatureSize, len(signature))
	}
	return ed25519.Verify(publicKey, message, signature), nil
}

// maxRandomBytes bounds random_bytes so a script cannot allocate without
// limit in one call.
const maxRandomBytes = 1 << 20

// secureRandomBytes returns n bytes from the operating system's
// cryptographic random source.
func secureRandomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // crypto/rand.Read does not return errors since Go 1.24
	return b
}

// randomInteger returns a uniformly chosen integer in [first, last].
func randomInteger(first, last int64) int64 {
	span := uint64(last - first)
	if span == ^uint64(0) {
		return int64(mathrand.Uint64())
	}
	return first + int64(mathrand.Uint64N(span+1))
}

func init() {
	registerFuncs(map[string]vm.BuiltinFunc{
		"md5":            digestBuiltin(md5.New),
		"sha1":           digestBuiltin(sha1.New),
		"sha2":           builtinSHA2,
		"hmac_md5":       hmacBuiltin(md5.New),
		"hmac_sha1":      hmacBuiltin(sha1.New),
		"hmac_sha2":      builtinHMACSHA2,
		"hash":           builtinHash,
		"aes_encrypt":    aesBuiltin(aesEncrypt),
		"aes_decrypt":    aesBuiltin(aesDecrypt),
		"rsa_sign":       builtinRSASign,
		"rsa_verify":     builtinRSAVerify,
		"ed25519_sign":   builtinEd25519Sign,
		"ed25519_verify": builtinEd25519Verify,
		"random_bytes":   builtinRandomBytes,
		"random_number":  builtinRandomNumber,
		"crypt":          builtinCrypt,
	})
	registerAlias("rand", "random_number")
}

// digestResult encodes a digest as lowercase hex, or returns the raw bytes
// when the options array at position i sets "binary".
func digestResult(a libArgs, i int, sum []byte) (vm.Value, error) {
	opts, err := a.options(i)
	if err != nil {
		return vm.None, err
	}
	binary, err := opts.boolean("binary", false)
	if err != nil {
		return vm.None, err
	}
	if binary {
		return vm.Bytes(sum), nil
	}
	return vm.String(hex.EncodeToString(sum)), nil
}

func digestBuiltin(newHash func() hash.Hash) vm.BuiltinFunc {
	return func(c *vm.Call, args []vm.Value) (vm.Value, error) {
		if err := c.Arity(args, 1, 2); err != nil {
			return vm.None, err
		}
		a := newLibArgs(c, args)
		message, err := a.str(0, "message")
		if err != nil {
			return vm.None, err
		}
		return digestResult(a, 1, digest(newHash, message))
	}
}

func builtinSHA2(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 3); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	message, err := a.str(0, "message")
	if err != nil {
		return vm.None, err
	}
	newHash, err := sha2Arg(a, 1)
	if err != nil {
		return vm.None, err
	}
	return digestResult(a, 2, digest(newHash, message))
}

func sha2Arg(a libArgs, i int) (func() hash.Hash, error) {
	bits, err := a.integer(i, "hashsize")
	if err != nil {
		return nil, err
	}
	newHash, err := newSHA2(int(bits))
	if err != nil {
		return nil, a.c.Errorf("argument %d (hashsize): %v", i+1, err)
	}
	return newHash, nil
}

func hmacBuiltin(newHash func() hash.Hash) vm.BuiltinFunc {
	return func(c *vm.Call, args []vm.Value) (vm.Value, error) {
		if err := c.Arity(args, 2, 3); err != nil {
			return vm.None, err
		}
		a := newLibArgs(c, args)
		key, err := a.str(0, "key")
		if err != nil {
			return vm.None, err
		}
		message, err := a.str(1, "message")
		if err != nil {
			return vm.None, err
		}
		return digestResult(a, 2, hmacDigest(newHash, key, message))
	}
}

func builtinHMACSHA2(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 3, 4); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	key, err := a.str(0, "key")
	if err != nil {
		return vm.None, err
	}
	message, err := a.str(1, "message")
	if err != nil {
		return vm.None, err
	}
	newHash, err := sha2Arg(a, 2)
	if err != nil {
		return vm.None, err
	}
	return digestResult(a, 3, hmacDigest(newHash, key, message))
}

func builtinHash(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	message, err := newLibArgs(c, args).str(0, "message")
	if err != nil {
		return vm.None, err
	}
	return vm.Number(float64(fnv1a32(message))), nil
}

// aesBuiltin wraps aesEncrypt or aesDecrypt: (message, key, mode [,
// options]) with options iv and padding. Bad keys, ivs or data give none.
func aesBuiltin(crypt func(message, key []byte, opts aesOptions) ([]byte, error)) vm.BuiltinFunc {
	return func(c *vm.Call, args []vm.Value) (vm.Value, error) {
		if err := c.Arity(args, 3, 4); err != nil {
			return vm.None, err
		}
		a := newLibArgs(c, args)
		message, err := a.str(0, "message")
		if err != nil {
			return vm.None, err
		}
		key, err := a.str(1, "key")
		if err != nil {
			return vm.None, err
		}
		mode, err := a.str(2, "mode")
		if err != nil {
			return vm.None, err
		}
		opts, err := a.options(3)
		if err != nil {
			return vm.None, err
		}
		iv, _, err := opts.str("iv", "")
		if err != nil {
			return vm.None, err
		}
		padding, err := opts.boolean("padding", true)
		if err != nil {
			return vm.None, err
		}

		out, err := crypt([]byte(message), []byte(key), aesOptions{mode: strings.ToLower(mode), iv: []byte(iv), padding: padding})
		if err != nil {
			return vm.None, nil
		}
		return vm.Bytes(out), nil
	}
}

// rsaKeyArgs reads the options shared by rsa_sign and rsa_verify.
func rsaKeyArgs(a libArgs, i int) (rsaKeyOptions, bool, error) {
	opts, err := a.options(i)
	if err != nil {
		return rsaKeyOptions{}, false, err
	}
	var o rsaKeyOptions
	if o.hash, _, err = opts.str("hash", "sha256"); err != nil {
		return o, false, err
	}
	if o.format, _, err = opts.str("format", ""); err != nil {
		return o, false, err
	}
	if o.pem, err = opts.boolean("pem", false); err != nil {
		return o, false, err
	}
	byID, err := opts.boolean("id", false)
	return o, byID, err
}

// rsaKeyArg returns the key argument: a string of key bytes, or an
// RSAPrivateKey resource holding a parsed key.
func rsaKeyArg(a libArgs, i int, name string) ([]byte, any, error) {
	if v := a.value(i); v.Kind() == vm.KindResource {
		return nil, v.Resource().Data, nil
	}
	s, err := a.str(i, name)
	return []byte(s), nil, err
}

func builtinRSASign(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 3); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	message, err := a.str(0, "message")
	if err != nil {
		return vm.None, err
	}
	raw, parsed, err := rsaKeyArg(a, 1, "privatekey")
	if err != nil {
		return vm.None, err
	}
	opts, byID, err := rsaKeyArgs(a, 2)
	if err != nil {
		return vm.None, err
	}
	if byID {
		// NOTE: there is no key store for "pki:" ids yet, so keys named
		// by id cannot be found.
		return vm.None, nil
	}

	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		if key, err = parseRSAPrivateKey(raw, opts); err != nil {
			return vm.None, nil
		}
	}
	sig, err := rsaSignPKCS1([]byte(message), key, opts.hash)
	if err != nil {
		return vm.None, nil
	}
	return vm.Bytes(sig), nil
}

func builtinRSAVerify(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 3, 4); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	message, err := a.str(0, "message")
	if err != nil {
		return vm.None, err
	}
	signature, err := a.str(1, "signature")
	if err != nil {
		return vm.None, err
	}
	raw, err := a.str(2, "publickey")
	if err != nil {
		return vm.None, err
	}
	opts, byID, err := rsaKeyArgs(a, 3)
	if err != nil || byID {
		return vm.None, err
	}

	key, err := parseRSAPublicKey([]byte(raw), opts)
	if err != nil {
		return vm.None, nil
	}
	ok, err := rsaVerifyPKCS1([]byte(message), []byte(signature), key, opts.hash)
	if err != nil {
		return vm.None, nil
	}
	return vm.Bool(ok), nil
}

func builtinEd25519Sign(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 2); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	message, err := a.str(0, "message")
	if err != nil {
		return vm.None, err
	}

	var key ed25519.PrivateKey
	if v := a.value(1); v.Kind() == vm.KindResource {
		k, ok := v.Resource().Data.(ed25519.PrivateKey)
		if !ok {
			return vm.None, a.c.ArgError(1, "privatekey", "a string or ED25519PrivateKey", v)
		}
		key = k
	} else {
		raw, err := a.str(1, "privatekey")
		if err != nil {
			return vm.None, err
		}
		if key, err = ed25519Key([]byte(raw)); err != nil {
			return vm.None, nil
		}
	}
	return vm.Bytes(ed25519.Sign(key, []byte(message))), nil
}

func builtinEd25519Verify(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 3, 3); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	message, err := a.str(0, "message")
	if err != nil {
		return vm.None, err
	}
	signature, err := a.str(1, "signature")
	if err != nil {
		return vm.None, err
	}
	publicKey, err := a.str(2, "publickey")
	if err != nil {
		return vm.None, err
	}
	ok, err := ed25519Verify([]byte(message), []byte(signature), []byte(publicKey))
	if err != nil {
		return vm.None, nil
	}
	return vm.Bool(ok), nil
}

func builtinRandomBytes(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	n, err := newLibArgs(c, args).integer(0, "bytes")
	if err != nil {
		return vm.None, err
	}
	if n < 0 || n > maxRandomBytes {
		return vm.None, c.Errorf("argument 1 (bytes) must be from 0 to %d, got %d", maxRandomBytes, n)
	}
	return vm.Bytes(secureRandomBytes(int(n))), nil
}

// builtinRandomNumber is random_number([first, last]): a float in [0, 1]
// without arguments, else an integer in [first, last].
func builtinRandomNumber(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if len(args) == 0 {
		return vm.Number(mathrand.Float64()), nil
	}
	if len(args) != 2 {
		return vm.None, c.Errorf("expected 0 or 2 arguments, got %d", len(args))
	}
	a := newLibArgs(c, args)
	first, err := a.integer(0, "first")
	if err != nil {
		return vm.None, err
	}
	last, err := a.integer(1, "last")
	if err != nil {
		return vm.None, err
	}
	if first > last {
		return vm.None, c.Errorf("first (%d) is greater than last (%d)", first, last)
	}
	return vm.Number(float64(randomInteger(first, last))), nil
}

func builtinCrypt(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 2); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	key, err := a.str(0, "key")
	if err != nil {
		return vm.None, err
	}
	salt, err := a.str(1, "salt")
	if err != nil {
		return vm.None, err
	}
	return vm.String(unixCrypt(key, salt)), nil
}
