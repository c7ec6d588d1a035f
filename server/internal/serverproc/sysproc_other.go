//go:build !linux

package serverproc

import "syscall"

// childAttrs has nothing to add outside Linux; servers are stopped by whoever started them.
func childAttrs() *syscall.SysProcAttr { return nil }
