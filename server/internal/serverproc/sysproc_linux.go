package serverproc

import "syscall"

// childAttrs makes the kernel kill a server when the process that started it dies, even by SIGKILL.
func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
