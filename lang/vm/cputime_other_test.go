//go:build !unix

package vm_test

import "time"

// processCPUTime is not implemented on this system.
func processCPUTime() (time.Duration, bool) { return 0, false }
