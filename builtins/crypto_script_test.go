package builtins

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"
)

func TestCryptoBuiltins(t *testing.T) {
	runScriptCases(t, []scriptCase{
		{src: `echo md5("abc");`, want: "900150983cd24fb0d6963f7d28e17f72\n"},
		{src: `echo length(md5("abc", ["binary" => true]));`, want: "16\n"},
		{src: `echo md5(123);`, want: "202cb962ac59075b964b07152d234b70\n"},
		{src: `echo sha1("abc");`, want: "a9993e364706816aba3e25717850c26c9cd0d89d\n"},
		{src: `echo sha2("abc", 224);`, want: "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7\n"},
		{src: `echo sha2("abc", "384");`, want: "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7\n"},
		{src: `echo length(sha2("abc", 512, ["binary" => true]));`, want: "64\n"},
		{src: `sha2("abc", 128);`, err: "sha2(): argument 2 (hashsize)"},
		{src: `md5([]);`, err: "md5(): argument 1 (message) must be a string, got array"},
		{src: `md5("x", ["binary" => "yes"]);`, err: `md5(): option "binary" must be a boolean, got string`},
		{src: `md5();`, err: "md5(): expected 1 to 2 arguments, got 0"},
		{src: `echo hmac_sha2("key", "message", 256);`, want: "6e9ef29b75fffc5b7abae527d58fdadb2fe42e7219011976917343065f58ed4a\n"},
		{src: `echo hmac_md5("key", "message");`, want: "4e4748e62b463521f6775fbf921234b5\n"},
		{src: `echo hash("");`, want: "2166136261\n"},
		{src: `echo hash("a") == hash("a") and hash("a") != hash("b") ? "ok" : "bad";`, want: "ok\n"},

		{src: `$k = "0123456789abcdef"; echo aes_decrypt(aes_encrypt("secret", $k, "ecb"), $k, "ecb");`, want: "secret\n"},
		{src: `$k = "0123456789abcdef"; $o = ["iv" => "fedcba9876543210"]; echo aes_decrypt(aes_encrypt("secret", $k, "cbc", $o), $k, "cbc", $o);`, want: "secret\n"},
		{src: `echo length(aes_encrypt("0123456789abcdef", "0123456789abcdef", "ecb", ["padding" => false]));`, want: "16\n"},
		{src: `echo aes_encrypt("x", "short", "ecb") === none ? "none" : "value";`, want: "none\n"},
		{src: `echo aes_encrypt("x", "0123456789abcdef", "cbc") === none ? "none" : "value";`, want: "none\n"},
		{src: `echo aes_decrypt("0123456789abcdef", "0123456789abcdef", "ecb") === none ? "none" : "value";`, want: "none\n"},

		{src: `echo length(random_bytes(32));`, want: "32\n"},
		{src: `echo random_bytes(0) === "" ? "empty" : "bad";`, want: "empty\n"},
		{src: `random_bytes(-1);`, err: "random_bytes(): argument 1 (bytes)"},
		{src: `random_bytes(2000000);`, err: "random_bytes(): argument 1 (bytes)"},
		{src: `$n = random_number(); echo $n >= 0 and $n <= 1 ? "ok" : "bad";`, want: "ok\n"},
		{src: `echo random_number(3, 3);`, want: "3\n"},
		{src: `$n = random_number(1.9, 2.9); echo $n == 1 or $n == 2 ? "ok" : "bad $n";`, want: "ok\n"},
		{src: `random_number(5);`, err: "random_number(): expected 0 or 2 arguments, got 1"},
		{src: `random_number(5, 1);`, err: "random_number(): first (5) is greater than last (1)"},
		{src: `echo rand(4, 4);`, want: "4\n"},

		{src: `echo crypt("test", "ab");`, want: "abgOeLfPimXQo\n"},
		{src: `$h = crypt("pw", "\$6\$salt\$"); echo crypt("pw", $h) === $h ? "match" : "no";`, want: "match\n"},
		{src: `echo crypt("pw", "!!");`, want: "*0\n"},
	})
}

// hslBytes writes hex-encoded bytes as an HSL string literal.
func hslBytes(t *testing.T, hexText string) string {
	t.Helper()
	return hslString(string(mustHex(t, hexText)))
}

func TestEd25519Builtins(t *testing.T) {
	// RFC 8032 section 7.1, test 1: the empty message.
	seed := hslBytes(t, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
	pub := hslBytes(t, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
	sig := hslBytes(t, "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")

	runScriptCases(t, []scriptCase{
		{src: "echo ed25519_sign(\"\", " + seed + ") === " + sig + " ? \"same\" : \"different\";", want: "same\n"},
		{src: "echo ed25519_verify(\"\", " + sig + ", " + pub + ") ? \"valid\" : \"invalid\";", want: "valid\n"},
		{src: "echo ed25519_verify(\"x\", " + sig + ", " + pub + ") ? \"valid\" : \"invalid\";", want: "invalid\n"},
		{src: "echo ed25519_verify(\"\", \"short\", " + pub + ") === none ? \"none\" : \"value\";", want: "none\n"},
		{src: `echo ed25519_sign("", "short") === none ? "none" : "value";`, want: "none\n"},
		{src: `ed25519_sign("", []);`, err: "ed25519_sign(): argument 2 (privatekey) must be a string, got array"},
	})
}

// hslString quotes s as an HSL string literal with every byte escaped.
func hslString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "\\x%02x", s[i])
	}
	b.WriteByte('"')
	return b.String()
}

func TestRSABuiltins(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	privPEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)}))
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(priv)
	pubInfo, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	pubDER := string(x509.MarshalPKCS1PublicKey(&priv.PublicKey))

	src := `
		$priv = ` + hslString(privPEM) + `;
		$pkcs8 = ` + hslString(string(pkcs8)) + `;
		$pub = ` + hslString(pubDER) + `;
		$spki = ` + hslString(string(pubInfo)) + `;
		$sig = rsa_sign("message", $priv, ["pem" => true]);
		echo length($sig);
		echo rsa_verify("message", $sig, $pub) ? "valid" : "invalid";
		echo rsa_verify("other", $sig, $pub) ? "valid" : "invalid";
		$sig2 = rsa_sign("message", $pkcs8, ["format" => "PrivateKeyInfo", "hash" => "sha512"]);
		echo rsa_verify("message", $sig2, $spki, ["format" => "SubjectPublicKeyInfo", "hash" => "sha512"]) ? "valid" : "invalid";
		echo rsa_verify("message", $sig2, $spki, ["format" => "SubjectPublicKeyInfo"]) ? "valid" : "invalid";
		echo rsa_sign("message", "not a key") === none ? "none" : "value";
		echo rsa_verify("message", $sig, "not a key") === none ? "none" : "value";
		echo rsa_sign("message", $priv, ["pem" => true, "hash" => "sha3"]) === none ? "none" : "value";
	`
	out, err := runLibScript(t, src, scriptRun{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "128\nvalid\ninvalid\nvalid\ninvalid\nnone\nnone\nnone\n"; out != want {
		t.Errorf("output %q, want %q", out, want)
	}
}

func TestPrivateKeyResources(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	rsaPKCS8, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	rsaPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: rsaPKCS8}))
	pubDER := string(x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey))

	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	edPKCS8, _ := x509.MarshalPKCS8PrivateKey(edKey)
	edPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: edPKCS8}))
	edPub := string(edKey.Public().(ed25519.PublicKey))

	out, err := runLibScript(t, `
		$rsa = rsa_privatekey(`+hslString(rsaPEM)+`);
		echo is_rsa_privatekey($rsa) ? "rsa" : "not rsa";
		echo is_ed25519_privatekey($rsa) ? "ed25519" : "not ed25519";
		echo rsa_verify("m", rsa_sign("m", $rsa), `+hslString(pubDER)+`) ? "rsa signed" : "rsa failed";
		$ed = ed25519_privatekey(`+hslString(edPEM)+`);
		echo is_ed25519_privatekey($ed) ? "ed25519" : "not ed25519";
		echo ed25519_verify("m", ed25519_sign("m", $ed), `+hslString(edPub)+`) ? "ed signed" : "ed failed";
		echo rsa_privatekey(`+hslString(edPEM)+`) === none ? "none" : "value";
		echo ec_privatekey("junk") === none ? "none" : "value";
		echo is_rsa_privatekey("text") ? "rsa" : "not rsa";
	`, scriptRun{})
	if err != nil {
		t.Fatal(err)
	}
	want := "rsa\nnot ed25519\nrsa signed\ned25519\ned signed\nnone\nnone\nnot rsa\n"
	if out != want {
		t.Errorf("output %q, want %q", out, want)
	}
}
