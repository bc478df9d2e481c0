package builtins

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// startEchoServer accepts connections on a TCP (or, with tlsConfig, TLS)
// listener on 127.0.0.1 and echoes what each client sends. Cleanup closes
// the listener and every connection and waits for their goroutines, so
// none outlives the test.
func startEchoServer(t *testing.T, network, address string, tlsConfig *tls.Config) net.Addr {
	t.Helper()
	ln, err := net.Listen(network, address)
	if err != nil {
		t.Fatal(err)
	}
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
	}

	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				io.Copy(conn, conn)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, conn := range conns {
			conn.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr()
}

// startUDPEchoServer returns each datagram to its sender.
func startUDPEchoServer(t *testing.T) net.Addr {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(buf[:n], from)
		}
	}()
	t.Cleanup(func() {
		pc.Close()
		<-done
	})
	return pc.LocalAddr()
}

// testCertificate makes a self-signed certificate for mail.example.test
// and 127.0.0.1.
func testCertificate(t *testing.T) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(0xabc123),
		Subject: pkix.Name{
			Country:      []string{"SE"},
			Organization: []string{"Example Org"},
			CommonName:   "mail.example.test",
		},
		DNSNames:              []string{"mail.example.test", "mx.example.test"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:             time.Unix(1700000000, 0),
		NotAfter:              time.Unix(2000000000, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, cert
}

func portOf(addr net.Addr) string {
	_, port, _ := net.SplitHostPort(addr.String())
	return port
}

func TestSocketTCP(t *testing.T) {
	port := portOf(startEchoServer(t, "tcp", "127.0.0.1:0", nil))
	out, err := runLibScript(t, `
		$s = Socket("AF_INET", "SOCK_STREAM");
		$s->settimeout(5);
		echo $s->connect("127.0.0.1", `+port+`) ? "connected" : "failed";
		echo $s->send("hello world");
		echo $s->recv(5, "MSG_WAITALL");
		echo $s->recv(6, ["MSG_PEEK", "MSG_WAITALL"]);
		echo $s->recv(100);
		echo $s->recv(10, "MSG_DONTWAIT") === none ? "would block " . $s->errno() : "data";
		$s->shutdown("SHUT_WR");
		echo $s->recv(10) === "" ? "eof" : "more";
		echo $s->close() ? "closed" : "not closed";
		echo $s->send("x") === none ? "none" : "sent";
		echo $s->errno();
	`, scriptRun{})
	if err != nil {
		t.Fatal(err)
	}
	want := "connected\n11\nhello\n world\n world\nwould block 11\neof\nclosed\nnone\n107\n"
	if out != want {
		t.Errorf("output %q, want %q", out, want)
	}
}

func TestSocketErrors(t *testing.T) {
	// A port with no listener: connect fails with ECONNREFUSED (111).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := portOf(ln.Addr())
	ln.Close()

	runScriptCases(t, []scriptCase{
		{src: `$s = Socket("AF_INET", "SOCK_STREAM"); echo $s->connect("127.0.0.1", ` + closedPort + `) === none ? "none " . $s->errno() : "connected";`, want: "none 111\n"},
		{src: `Socket("AF_IPX", "SOCK_STREAM");`, err: `Socket(): argument 1 (family) must be AF_INET, AF_INET6 or AF_UNIX, got "AF_IPX"`},
		{src: `Socket("AF_INET", "SOCK_RAW");`, err: `Socket(): argument 2 (type) must be SOCK_STREAM or SOCK_DGRAM, got "SOCK_RAW"`},
		{src: `Socket("AF_INET", "SOCK_STREAM")->connect("::1", 25);`, err: "does not belong to family AF_INET"},
		{src: `Socket("AF_INET", "SOCK_STREAM")->connect("localhost", 25);`, err: `is not an IP address: "localhost"`},
		{src: `Socket("AF_INET", "SOCK_STREAM")->connect("127.0.0.1", 70000);`, err: "must be from 0 to 65535"},
		{src: `$s = Socket("AF_INET", "SOCK_STREAM"); $s->recv(1, "MSG_OOB");`, err: `unknown flag "MSG_OOB"`},
		{src: `$s = Socket("AF_INET", "SOCK_STREAM"); echo $s->recv(1) === none ? "none " . $s->errno() : "data";`, want: "none 107\n"},
		{src: `$s = Socket("AF_INET", "SOCK_STREAM"); $s->shutdown("SHUT_ALL");`, err: "must be SHUT_RD, SHUT_WR or SHUT_RDWR"},
		{src: `echo Socket::AF("192.0.2.1") . " " . Socket::AF("2001:db8::1"); echo Socket::AF("host") === none ? "none" : "value";`, want: "AF_INET AF_INET6\nnone\n"},
	})
}

func TestSocketTimeout(t *testing.T) {
	// A server that accepts and never writes: recv hits the socket timeout.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	release := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		conn, err := ln.Accept()
		if err == nil {
			defer conn.Close()
			<-release
		}
	}()
	defer func() {
		close(release)
		ln.Close()
		<-done
	}()

	start := time.Now()
	out, err := runLibScript(t, `
		$s = Socket("AF_INET", "SOCK_STREAM");
		$s->settimeout(0.2);
		$s->connect("127.0.0.1", `+portOf(ln.Addr())+`);
		echo $s->recv(10) === none ? "timeout " . $s->errno() : "data";
	`, scriptRun{})
	if err != nil || out != "timeout 110\n" {
		t.Fatalf("recv on a silent server = %q, %v, want timeout 110 (ETIMEDOUT)", out, err)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("0.2 s timeout returned after %v", elapsed)
	}
}

func TestSocketBindUDPUnix(t *testing.T) {
	udpPort := portOf(startUDPEchoServer(t))
	sockPath := filepath.Join(t.TempDir(), "echo.sock")
	startEchoServer(t, "unix", sockPath, nil)

	out, err := runLibScript(t, `
		$u = Socket("AF_INET", "SOCK_DGRAM");
		$u->settimeout(5);
		$u->bind("127.0.0.1");
		$u->connect("127.0.0.1", `+udpPort+`);
		$u->send("first");
		$u->send("second");
		echo $u->recv(100);
		echo $u->recv(3);
		echo $u->recv(100);

		$x = Socket("AF_UNIX", "SOCK_STREAM");
		$x->settimeout(5);
		echo $x->connect("`+sockPath+`") ? "unix connected" : "unix failed " . $x->errno();
		$x->send("over unix");
		echo $x->recv(9, "MSG_WAITALL");
	`, scriptRun{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "first\nsec\nond\nunix connected\nover unix\n"; out != want {
		t.Errorf("output %q, want %q", out, want)
	}
}

func TestTLSSocket(t *testing.T) {
	serverCert, cert := testCertificate(t)
	port := portOf(startEchoServer(t, "tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{serverCert}}))
	pool := x509.NewCertPool()
	pool.AddCert(cert)

	connect := `$s = Socket("AF_INET", "SOCK_STREAM"); $s->settimeout(5); $s->connect("127.0.0.1", ` + port + `);`
	cases := []scriptCase{
		{src: connect + `$t = TLSSocket($s, []); echo $t->send("secure"); echo $t->recv(6, "MSG_WAITALL"); echo $t->shutdown();`, want: "6\nsecure\n1\n"},
		{src: connect + `$t = TLSSocket($s, ["tls_verify_name" => ["mx.example.test"], "tls_sni" => "mx.example.test"]); echo $t->handshake() ? "ok" : "failed";`, want: "ok\n"},
		{src: connect + `$t = TLSSocket($s, ["tls_verify_name" => ["other.example"]]); echo $t->handshake() === none ? "rejected" : "accepted"; echo $t->send("x") === none ? "none" : "sent";`, want: "rejected\nnone\n"},
		{src: connect + `$t = TLSSocket($s, ["tls_verify_ca" => true]); echo $t->handshake() ? "trusted" : "untrusted";`, want: "trusted\n"},
		{src: connect + `$t = TLSSocket($s, ["tls_protocols" => "!SSLv2,!SSLv3,!TLSv1,!TLSv1.1"]); $t->handshake(); echo $t->getpeerx509()->subject();`,
			want: "[0=>[0=>\"C\",1=>\"SE\"],1=>[0=>\"O\",1=>\"Example Org\"],2=>[0=>\"CN\",1=>\"mail.example.test\"]]\n"},
		{src: connect + `$t = TLSSocket($s, []); echo $t->getpeerx509() === none ? "before handshake" : "x"; echo $t->toSocket() === $s ? "same socket" : "other";`, want: "before handshake\nsame socket\n"},
		{src: connect + `TLSSocket($s, ["tls_protocols" => "TLSv9"]);`, err: `TLSSocket(): option "tls_protocols": unknown protocol "TLSv9"`},
		{src: `TLSSocket(Socket("AF_INET", "SOCK_STREAM"), []);`, err: "TLSSocket(): argument 1 (socket) must be a connected stream socket"},
		{src: `TLSSocket("socket", []);`, err: "TLSSocket(): argument 1 (socket) must be a Socket object, got string"},
	}

	httpRootCAs = pool
	defer func() { httpRootCAs = nil }()
	runScriptCases(t, cases)

	// Without the test root, CA verification fails.
	httpRootCAs = x509.NewCertPool()
	out, err := runLibScript(t, connect+`$t = TLSSocket($s, ["tls_verify_ca" => true]); echo $t->handshake() ? "trusted" : "untrusted";`, scriptRun{})
	if err != nil || out != "untrusted\n" {
		t.Errorf("unknown CA: %q, %v", out, err)
	}
}

func TestX509Class(t *testing.T) {
	_, cert := testCertificate(t)
	pemText := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))

	src := `
		$x = X509::String(` + hslString(pemText) + `);
		echo $x->issuer();
		echo $x->subject_alt_name();
		echo $x->version();
		echo $x->serial_number();
		echo $x->not_valid_before() . " " . $x->not_valid_after();
		echo length($x->export()) . " " . length($x->public_key());
		echo str_find($x->export(["pem" => true]), "-----BEGIN CERTIFICATE-----") == 0 ? "pem" : "not pem";
		echo sha2($x->export(), 256);
		$y = X509::String($x->export());
		echo $y->serial_number();
		echo X509($x->toResource())->serial_number();
	`
	out, err := runLibScript(t, src, scriptRun{})
	if err != nil {
		t.Fatal(err)
	}
	fingerprint := sha256.Sum256(cert.Raw)
	want := strings.Join([]string{
		`[0=>[0=>"C",1=>"SE"],1=>[0=>"O",1=>"Example Org"],2=>[0=>"CN",1=>"mail.example.test"]]`,
		`[0=>"mail.example.test",1=>"mx.example.test"]`,
		"3",
		"ABC123",
		"1700000000 2000000000",
		strconv.Itoa(len(cert.Raw)) + " " + strconv.Itoa(len(cert.RawSubjectPublicKeyInfo)),
		"pem",
		hex.EncodeToString(fingerprint[:]),
		"ABC123",
		"ABC123",
	}, "\n") + "\n"
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}

	runScriptCases(t, []scriptCase{
		{src: `X509::String("garbage");`, err: "X509::String(): invalid certificate"},
		{src: `X509("x");`, err: "X509(): argument 1 (x509resource) must be an X509Resource, got string"},
	})
}
