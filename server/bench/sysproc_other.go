//go:build !linux

package main

import "syscall"

// childAttrs has nothing to add outside Linux; servers are stopped on the bench's way out.
func childAttrs() *syscall.SysProcAttr { return nil }
