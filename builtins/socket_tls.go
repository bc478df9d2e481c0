package builtins

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"syscall"

	"github.com/halonsh/halonsh/lang/vm"
)

// TLSSocketClass is the TLSSocket class: TLS client over a connected
// stream Socket. By default nothing about the peer is verified.
var TLSSocketClass = &vm.Class{Name: "TLSSocket"}

func init() {
	TLSSocketClass.New = builtinTLSSocketNew
	TLSSocketClass.Methods = map[string]vm.MethodFunc{
		"handshake":   tlsMethod(tlsHandshake),
		"send":        tlsMethod(tlsSend),
		"recv":        tlsMethod(tlsRecv),
		"shutdown":    tlsMethod(tlsShutdown),
		"errno":       tlsMethod(tlsErrno),
		"getpeerx509": tlsMethod(tlsPeerX509),
		"toSocket":    tlsMethod(tlsToSocket),
	}
	registerClass(TLSSocketClass)
}

// tlsSocketState is the native part of a TLSSocket object.
type tlsSocketState struct {
	mu      sync.Mutex
	socket  *vm.Object // the wrapped Socket
	raw     *socketState
	conn    *tls.Conn
	done    bool // handshake completed
	failed  error
	pending []byte
	errno   syscall.Errno
	// unsupported names an option that cannot be honoured, which makes
	// the handshake fail.
	unsupported string
}

// tlsVersions maps OpenSSL protocol names to Go's TLS versions; SSLv2
// and SSLv3 are never offered.
var tlsVersions = []struct {
	name    string
	version uint16
}{
	{"TLSv1", tls.VersionTLS10},
	{"TLSv1.1", tls.VersionTLS11},
	{"TLSv1.2", tls.VersionTLS12},
	{"TLSv1.3", tls.VersionTLS13},
}

// parseTLSProtocols reads a protocol list such as "!SSLv2,!SSLv3" or
// "TLSv1.2,TLSv1.3" into the range of versions to offer. Named versions
// select those; names with '!' remove them. Go offers a contiguous range,
// so the result spans the lowest to the highest version left.
func parseTLSProtocols(list string) (minVersion, maxVersion uint16, err error) {
	allowed := map[uint16]bool{}
	anyPositive := false
	tokens := strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ':' || r == ' ' })
	for _, tok := range tokens {
		if !strings.HasPrefix(tok, "!") {
			anyPositive = true
		}
	}
	if !anyPositive {
		for _, v := range tlsVersions {
			allowed[v.version] = true
		}
	}
	for _, tok := range tokens {
		name, negate := strings.CutPrefix(tok, "!")
		if name == "SSLv2" || name == "SSLv3" {
			continue
		}
		found := false
		for _, v := range tlsVersions {
			if strings.EqualFold(v.name, name) {
				allowed[v.version] = !negate
				found = true
			}
		}
		if !found {
			return 0, 0, fmt.Errorf("unknown protocol %q", name)
		}
	}
	for _, v := range tlsVersions {
		if allowed[v.version] {
			if minVersion == 0 {
				minVersion = v.version
			}
			maxVersion = v.version
		}
	}
	if minVersion == 0 {
		return 0, 0, errors.New("no TLS version left")
	}
	return minVersion, maxVersion, nil
}

// builtinTLSSocketNew is TLSSocket(socket, options).
func builtinTLSSocketNew(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	sockObj, err := c.ObjectArg(args, 0, "socket", SocketClass)
	if err != nil {
		return vm.None, err
	}
	opts, err := a.options(1)
	if err != nil {
		return vm.None, err
	}

	cfg, unsupported, err := readTLSOptions(c, opts)
	if err != nil {
		return vm.None, err
	}

	raw := sockObj.Native.(*socketState)
	raw.mu.Lock()
	defer raw.mu.Unlock()
	if raw.conn == nil || raw.closed || raw.upgraded || !raw.stream {
		return vm.None, c.Errorf("argument 1 (socket) must be a connected stream socket")
	}
	raw.upgraded = true

	state := &tlsSocketState{
		socket:      sockObj,
		raw:         raw,
		conn:        tls.Client(raw.conn, cfg),
		unsupported: unsupported,
	}
	// NOTE: bytes that a MSG_PEEK on the plain socket read ahead stay in
	// the Socket's buffer and never reach the TLS layer.
	return vm.ObjectValue(vm.NewObject(TLSSocketClass, state)), nil
}

func readTLSOptions(c *vm.Call, opts libOptions) (*tls.Config, string, error) {
	cfg := &tls.Config{InsecureSkipVerify: true}
	unsupported := ""

	if list, given, err := opts.str("tls_protocols", ""); err != nil {
		return nil, "", err
	} else if given {
		minVersion, maxVersion, err := parseTLSProtocols(list)
		if err != nil {
			return nil, "", c.Errorf(`option "tls_protocols": %v`, err)
		}
		cfg.MinVersion, cfg.MaxVersion = minVersion, maxVersion
	}
	// NOTE: tls_ciphers takes an OpenSSL cipher list, which Go's TLS stack
	// cannot apply; it is checked for type only and Go's defaults are used.
	if _, _, err := opts.str("tls_ciphers", ""); err != nil {
		return nil, "", err
	}

	var names []string
	if list, err := opts.array("tls_verify_name"); err != nil {
		return nil, "", err
	} else if list != nil {
		if names, err = stringList(c, list, `option "tls_verify_name"`); err != nil {
			return nil, "", err
		}
	}
	verifyCA, err := opts.boolean("tls_verify_ca", false)
	if err != nil {
		return nil, "", err
	}
	if _, err := opts.boolean("tls_default_ca", false); err != nil {
		return nil, "", err
	}
	if cfg.ServerName, _, err = opts.str("tls_sni", ""); err != nil {
		return nil, "", err
	}
	if id, given, err := opts.str("tls_client_cert", ""); err != nil {
		return nil, "", err
	} else if given {
		unsupported = fmt.Sprintf("tls_client_cert %q: no certificates are configured", id)
	}

	if len(names) > 0 || verifyCA {
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			return verifyTLSPeer(cs.PeerCertificates, names, verifyCA)
		}
	}
	return cfg, unsupported, nil
}

// verifyTLSPeer checks the chain against the trusted roots when verifyCA
// is set, and that the certificate is valid for one of names when names
// is not empty.
func verifyTLSPeer(certs []*x509.Certificate, names []string, verifyCA bool) error {
	if len(certs) == 0 {
		return errors.New("no peer certificate")
	}
	if verifyCA {
		if err := verifyChain(certs, httpRootCAs); err != nil {
			return err
		}
	}
	if len(names) == 0 {
		return nil
	}
	for _, name := range names {
		if certs[0].VerifyHostname(name) == nil {
			return nil
		}
	}
	return fmt.Errorf("certificate is not valid for %s", strings.Join(names, ", "))
}

func tlsMethod(fn func(c *vm.Call, this *vm.Object, s *tlsSocketState, args []vm.Value) (vm.Value, error)) vm.MethodFunc {
	return func(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
		s := this.Native.(*tlsSocketState)
		s.mu.Lock()
		defer s.mu.Unlock()
		return fn(c, this, s, args)
	}
}

// handshake runs the TLS handshake once; later calls repeat its outcome.
func (s *tlsSocketState) handshake(c *vm.Call) error {
	if s.done {
		return nil
	}
	if s.failed != nil {
		return s.failed
	}
	if s.unsupported != "" {
		slog.Warn("TLS handshake not attempted", "reason", s.unsupported)
		s.failed = errors.New(s.unsupported)
		s.errno = syscall.EINVAL
		return s.failed
	}
	if s.raw.closed {
		s.errno = syscall.EBADF
		return net.ErrClosed
	}

	err := withDeadline(c, s.raw.conn, s.raw.timeout, false, func() error {
		return s.conn.HandshakeContext(c.Context())
	})
	if err != nil {
		s.failed = err
		s.errno = errnoOf(err)
		return err
	}
	s.done = true
	return nil
}

func tlsHandshake(c *vm.Call, this *vm.Object, s *tlsSocketState, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	if s.handshake(c) != nil {
		return vm.None, nil
	}
	return vm.ObjectValue(this), nil
}

func tlsSend(c *vm.Call, this *vm.Object, s *tlsSocketState, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	data, err := newLibArgs(c, args).str(0, "data")
	if err != nil {
		return vm.None, err
	}
	if s.handshake(c) != nil {
		return vm.None, nil
	}
	var n int
	err = withDeadline(c, s.raw.conn, s.raw.timeout, false, func() error {
		var err error
		n, err = s.conn.Write([]byte(data))
		return err
	})
	if err != nil && n == 0 {
		s.errno = errnoOf(err)
		return vm.None, nil
	}
	return vm.Int(n), nil
}

func tlsRecv(c *vm.Call, this *vm.Object, s *tlsSocketState, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	length, err := newLibArgs(c, args).integer(0, "length")
	if err != nil {
		return vm.None, err
	}
	if length < 0 || length > 64<<20 {
		return vm.None, c.Errorf("argument 1 (length) must be from 0 to %d, got %d", 64<<20, length)
	}
	flags, err := readRecvFlags(c, args, 1)
	if err != nil {
		return vm.None, err
	}
	if s.handshake(c) != nil {
		return vm.None, nil
	}
	data, err := recvFrom(c, &s.pending, false, s.conn, s.raw.timeout, int(length), flags)
	if err != nil {
		s.errno = errnoOf(err)
		return vm.None, nil
	}
	return vm.Bytes(data), nil
}

// tlsShutdown is ->shutdown(): it sends close_notify and returns 1.
func tlsShutdown(c *vm.Call, this *vm.Object, s *tlsSocketState, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	if !s.done {
		s.errno = syscall.ENOTCONN
		return vm.None, nil
	}
	err := withDeadline(c, s.raw.conn, s.raw.timeout, false, s.conn.CloseWrite)
	if err != nil {
		s.errno = errnoOf(err)
		return vm.None, nil
	}
	return vm.Int(1), nil
}

func tlsErrno(c *vm.Call, this *vm.Object, s *tlsSocketState, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	return vm.Int(int(s.errno)), nil
}

func tlsPeerX509(c *vm.Call, this *vm.Object, s *tlsSocketState, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	if !s.done {
		return vm.None, nil
	}
	certs := s.conn.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return vm.None, nil
	}
	return newX509Object(certs[0]), nil
}

// tlsToSocket is ->toSocket(): the wrapped Socket object.
func tlsToSocket(c *vm.Call, this *vm.Object, s *tlsSocketState, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	return vm.ObjectValue(s.socket), nil
}
