package main

import "syscall"

// childAttrs makes the kernel kill a server when the bench process dies, even by SIGKILL.
func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
