package builtins

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/halonsh/halonsh/lang/vm"
)

// SocketClass is the Socket class: a TCP, UDP or Unix-domain client
// socket. Errors of the connection are reported as none results with the
// OS error number available from errno(); wrong arguments raise.
var SocketClass = &vm.Class{Name: "Socket"}

func init() {
	SocketClass.New = builtinSocketNew
	SocketClass.Methods = map[string]vm.MethodFunc{
		"bind":       socketMethod(socketBind),
		"connect":    socketMethod(socketConnect),
		"send":       socketMethod(socketSend),
		"recv":       socketMethod(socketRecv),
		"settimeout": socketMethod(socketSettimeout),
		"shutdown":   socketMethod(socketShutdown),
		"close":      socketMethod(socketClose),
		"errno":      socketMethod(socketErrno),
	}
	SocketClass.Statics = map[string]vm.BuiltinFunc{"AF": builtinSocketAF}
	registerClass(SocketClass)
}

// socketState is the native part of a Socket object. A bound address is
// kept until connect, because Go binds and connects in one step.
type socketState struct {
	mu       sync.Mutex
	family   string // AF_INET, AF_INET6 or AF_UNIX
	stream   bool   // SOCK_STREAM rather than SOCK_DGRAM
	local    net.Addr
	nonlocal bool
	conn     net.Conn
	timeout  time.Duration // 0: none
	// pending holds bytes read ahead by MSG_PEEK, returned first by the
	// next recv.
	pending []byte
	errno   syscall.Errno
	closed  bool
	// upgraded is set once a TLSSocket took over the connection; plain
	// send and recv are refused from then on, close still works.
	upgraded bool
}

// newSocketObject wraps state in a Socket object that closes its
// connection when collected.
func newSocketObject(s *socketState) *vm.Object {
	obj := vm.NewObject(SocketClass, s)
	runtime.AddCleanup(obj, func(s *socketState) { s.release() }, s)
	return obj
}

func builtinSocketNew(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 2); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	family, err := a.str(0, "family")
	if err != nil {
		return vm.None, err
	}
	kind, err := a.str(1, "type")
	if err != nil {
		return vm.None, err
	}
	switch family {
	case "AF_INET", "AF_INET6", "AF_UNIX":
	default:
		return vm.None, c.Errorf("argument 1 (family) must be AF_INET, AF_INET6 or AF_UNIX, got %q", family)
	}
	if kind != "SOCK_STREAM" && kind != "SOCK_DGRAM" {
		return vm.None, c.Errorf("argument 2 (type) must be SOCK_STREAM or SOCK_DGRAM, got %q", kind)
	}
	return vm.ObjectValue(newSocketObject(&socketState{family: family, stream: kind == "SOCK_STREAM"})), nil
}

// socketMethod runs fn with the socket's state locked.
func socketMethod(fn func(c *vm.Call, this *vm.Object, s *socketState, args []vm.Value) (vm.Value, error)) vm.MethodFunc {
	return func(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
		s := this.Native.(*socketState)
		s.mu.Lock()
		defer s.mu.Unlock()
		return fn(c, this, s, args)
	}
}

// release closes the connection of a collected socket.
func (s *socketState) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil && !s.closed {
		s.conn.Close()
	}
	s.closed = true
}

// network returns the Go network name for the socket's family and type.
func (s *socketState) network() string {
	switch {
	case s.family == "AF_UNIX" && s.stream:
		return "unix"
	case s.family == "AF_UNIX":
		return "unixgram"
	case s.family == "AF_INET" && s.stream:
		return "tcp4"
	case s.family == "AF_INET":
		return "udp4"
	case s.stream:
		return "tcp6"
	}
	return "udp6"
}

// fail records err's OS error number and returns none, the result of a
// failed socket operation.
func (s *socketState) fail(err error) (vm.Value, error) {
	s.errno = errnoOf(err)
	return vm.None, nil
}

// errnoOf maps a Go network error to an OS error number: the underlying
// errno when there is one, ETIMEDOUT for timeouts, EPIPE for closed
// connections, EIO otherwise.
func errnoOf(err error) syscall.Errno {
	var errno syscall.Errno
	switch {
	case errors.As(err, &errno):
		return errno
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return syscall.ETIMEDOUT
	case errors.Is(err, net.ErrClosed), errors.Is(err, io.ErrClosedPipe):
		return syscall.EPIPE
	case errors.Is(err, context.Canceled):
		return syscall.ECANCELED
	}
	return syscall.EIO
}

// socketAddress builds the address for bind or connect from the address
// and port arguments at positions i and i+1.
func socketAddress(c *vm.Call, s *socketState, args []vm.Value, i int) (net.Addr, error) {
	a := newLibArgs(c, args)
	address, err := a.str(i, "address")
	if err != nil {
		return nil, err
	}
	if s.family == "AF_UNIX" {
		return &net.UnixAddr{Name: address, Net: s.network()}, nil
	}

	port := int64(0)
	if a.has(i + 1) {
		if port, err = a.integer(i+1, "port"); err != nil {
			return nil, err
		}
		if port < 0 || port > 65535 {
			return nil, c.Errorf("argument %d (port) must be from 0 to 65535, got %d", i+2, port)
		}
	}
	ip, err := netip.ParseAddr(address)
	if err != nil {
		return nil, c.Errorf("argument %d (address) is not an IP address: %q", i+1, address)
	}
	if ip.Is4() != (s.family == "AF_INET") {
		return nil, c.Errorf("argument %d (address) %s does not belong to family %s", i+1, address, s.family)
	}
	ap := netip.AddrPortFrom(ip, uint16(port))
	if s.stream {
		return net.TCPAddrFromAddrPort(ap), nil
	}
	return net.UDPAddrFromAddrPort(ap), nil
}

// socketBind is ->bind(address [, port [, options]]). The address is used
// as the local side of the next connect; option nonlocal allows an address
// that is not configured on this host.
func socketBind(c *vm.Call, this *vm.Object, s *socketState, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 3); err != nil {
		return vm.None, err
	}
	addr, err := socketAddress(c, s, args, 0)
	if err != nil {
		return vm.None, err
	}
	opts, err := newLibArgs(c, args).options(2)
	if err != nil {
		return vm.None, err
	}
	if s.nonlocal, err = opts.boolean("nonlocal", false); err != nil {
		return vm.None, err
	}
	if s.conn != nil || s.closed {
		s.errno = syscall.EINVAL
		return vm.None, nil
	}
	s.local = addr
	return vm.ObjectValue(this), nil
}

// socketConnect is ->connect(address [, port]).
func socketConnect(c *vm.Call, this *vm.Object, s *socketState, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	addr, err := socketAddress(c, s, args, 0)
	if err != nil {
		return vm.None, err
	}
	if s.conn != nil || s.closed {
		s.errno = syscall.EISCONN
		return vm.None, nil
	}

	dialer := net.Dialer{LocalAddr: s.local, Timeout: s.timeout}
	if s.nonlocal {
		dialer.Control = allowNonlocalBind
	}
	conn, err := dialer.DialContext(c.Context(), s.network(), addr.String())
	if err != nil {
		return s.fail(err)
	}
	s.conn = conn
	s.errno = 0
	return vm.ObjectValue(this), nil
}

// withDeadline runs an I/O operation on conn with a timeout (0: none) and
// the run's cancellation applied. immediate makes the operation fail
// unless it can complete at once, for MSG_DONTWAIT.
func withDeadline(c *vm.Call, conn net.Conn, timeout time.Duration, immediate bool, op func() error) error {
	deadline := time.Time{}
	switch {
	case immediate:
		deadline = time.Now().Add(time.Millisecond)
	case timeout > 0:
		deadline = time.Now().Add(timeout)
	}
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(c.Context(), func() { conn.SetDeadline(time.Now()) })
	defer stop()
	return op()
}

func (s *socketState) ready() bool {
	if s.conn == nil || s.closed || s.upgraded {
		s.errno = syscall.ENOTCONN
		return false
	}
	return true
}

// socketSend is ->send(data): the number of bytes written.
func socketSend(c *vm.Call, this *vm.Object, s *socketState, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	data, err := newLibArgs(c, args).str(0, "data")
	if err != nil {
		return vm.None, err
	}
	if !s.ready() {
		return vm.None, nil
	}
	var n int
	err = withDeadline(c, s.conn, s.timeout, false, func() error {
		var err error
		n, err = s.conn.Write([]byte(data))
		return err
	})
	if err != nil && n == 0 {
		return s.fail(err)
	}
	return vm.Int(n), nil
}

// recvFlags are the flags of ->recv.
type recvFlags struct {
	peek, waitAll, dontWait bool
}

func readRecvFlags(c *vm.Call, args []vm.Value, i int) (recvFlags, error) {
	var f recvFlags
	if !vm.OptArg(args, i) {
		return f, nil
	}
	var names []string
	if v := args[i]; v.Kind() == vm.KindArray {
		list, err := stringList(c, v.Array(), "flags")
		if err != nil {
			return f, err
		}
		names = list
	} else {
		name, err := newLibArgs(c, args).str(i, "flags")
		if err != nil {
			return f, err
		}
		names = []string{name}
	}
	for _, name := range names {
		switch name {
		case "MSG_PEEK":
			f.peek = true
		case "MSG_WAITALL":
			f.waitAll = true
		case "MSG_DONTWAIT":
			f.dontWait = true
		default:
			return f, c.Errorf("unknown flag %q (expected MSG_PEEK, MSG_WAITALL or MSG_DONTWAIT)", name)
		}
	}
	return f, nil
}

// socketRecv is ->recv(length [, flags]): up to length bytes, "" at the end
// of the stream.
func socketRecv(c *vm.Call, this *vm.Object, s *socketState, args []vm.Value) (vm.Value, error) {
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
	if !s.ready() {
		return vm.None, nil
	}
	data, err := recvFrom(c, &s.pending, !s.stream, s.conn, s.timeout, int(length), flags)
	if err != nil {
		return s.fail(err)
	}
	return vm.Bytes(data), nil
}

// recvFrom reads up to length bytes from conn (a socket's connection, or a
// TLS connection over it) honouring the flags. pending is the read-ahead
// buffer that MSG_PEEK fills; datagram sockets read one datagram at a time.
func recvFrom(c *vm.Call, pending *[]byte, datagram bool, conn net.Conn, timeout time.Duration, length int, flags recvFlags) ([]byte, error) {
	if length == 0 {
		return []byte{}, nil
	}

	// Fill the read-ahead buffer until it holds enough for the request.
	need := 1
	if flags.waitAll {
		need = length
	}
	var readErr error
	if len(*pending) < need {
		readErr = withDeadline(c, conn, timeout, flags.dontWait, func() error {
			size := max(length-len(*pending), 512)
			if datagram {
				size = 65535 // a whole datagram, which the next reads share
			}
			buf := make([]byte, size)
			for len(*pending) < need {
				n, err := conn.Read(buf)
				*pending = append(*pending, buf[:n]...)
				if err != nil {
					return err
				}
				if datagram {
					break
				}
			}
			return nil
		})
	}

	if len(*pending) == 0 {
		if errors.Is(readErr, io.EOF) {
			return []byte{}, nil
		}
		if flags.dontWait && errors.Is(readErr, os.ErrDeadlineExceeded) {
			return nil, syscall.EAGAIN
		}
		if readErr != nil {
			return nil, readErr
		}
	}

	n := min(length, len(*pending))
	out := append([]byte(nil), (*pending)[:n]...)
	if !flags.peek {
		*pending = (*pending)[n:]
	}
	return out, nil
}

// socketSettimeout is ->settimeout(seconds): the timeout of later
// operations; 0 or none means no timeout.
func socketSettimeout(c *vm.Call, this *vm.Object, s *socketState, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	s.timeout = 0
	if vm.OptArg(args, 0) {
		seconds, err := newLibArgs(c, args).num(0, "seconds")
		if err != nil {
			return vm.None, err
		}
		if seconds < 0 || seconds > 86400*365 {
			return vm.None, c.Errorf("argument 1 (seconds) must be from 0 to one year, got %s", vm.FormatNumber(seconds))
		}
		s.timeout = secondsDuration(seconds)
	}
	return vm.ObjectValue(this), nil
}

// socketShutdown is ->shutdown(how) with SHUT_RD, SHUT_WR or SHUT_RDWR.
func socketShutdown(c *vm.Call, this *vm.Object, s *socketState, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	how, err := newLibArgs(c, args).str(0, "how")
	if err != nil {
		return vm.None, err
	}
	if how != "SHUT_RD" && how != "SHUT_WR" && how != "SHUT_RDWR" {
		return vm.None, c.Errorf("argument 1 (how) must be SHUT_RD, SHUT_WR or SHUT_RDWR, got %q", how)
	}
	if !s.ready() {
		return vm.None, nil
	}

	type halfCloser interface {
		CloseRead() error
		CloseWrite() error
	}
	hc, ok := s.conn.(halfCloser)
	if !ok {
		s.errno = syscall.EOPNOTSUPP
		return vm.None, nil
	}
	if how != "SHUT_WR" {
		if err := hc.CloseRead(); err != nil {
			return s.fail(err)
		}
	}
	if how != "SHUT_RD" {
		if err := hc.CloseWrite(); err != nil {
			return s.fail(err)
		}
	}
	return vm.ObjectValue(this), nil
}

// socketClose is ->close().
func socketClose(c *vm.Call, this *vm.Object, s *socketState, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	if s.closed {
		s.errno = syscall.EBADF
		return vm.None, nil
	}
	s.closed = true
	if s.conn != nil {
		if err := s.conn.Close(); err != nil {
			return s.fail(err)
		}
	}
	return vm.ObjectValue(this), nil
}

func socketErrno(c *vm.Call, this *vm.Object, s *socketState, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	return vm.Int(int(s.errno)), nil
}

// builtinSocketAF is Socket::AF(address): AF_INET or AF_INET6 for an IP
// literal, none otherwise.
func builtinSocketAF(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	address, err := newLibArgs(c, args).str(0, "address")
	if err != nil {
		return vm.None, err
	}
	ip, err := netip.ParseAddr(address)
	switch {
	case err != nil:
		return vm.None, nil
	case ip.Is4():
		return vm.String("AF_INET"), nil
	}
	return vm.String("AF_INET6"), nil
}
