//go:build !linux

package builtins

import (
	"errors"
	"syscall"
)

// allowNonlocalBind is only available on Linux (IP_FREEBIND).
func allowNonlocalBind(network, address string, rc syscall.RawConn) error {
	return errors.New("nonlocal bind is only supported on Linux")
}
