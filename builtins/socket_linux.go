package builtins

import "syscall"

// allowNonlocalBind lets a socket bind an address that is not configured
// on this host (IP_FREEBIND), for bind's nonlocal option.
func allowNonlocalBind(network, address string, rc syscall.RawConn) error {
	var sockErr error
	err := rc.Control(func(fd uintptr) {
		level, opt := syscall.IPPROTO_IP, syscall.IP_FREEBIND
		if network == "tcp6" || network == "udp6" {
			level, opt = syscall.IPPROTO_IPV6, ipv6Freebind
		}
		sockErr = syscall.SetsockoptInt(int(fd), level, opt, 1)
	})
	if err != nil {
		return err
	}
	return sockErr
}

// ipv6Freebind is IPV6_FREEBIND from linux/in6.h, which package syscall
// does not define.
const ipv6Freebind = 0x4e
