package main

import "syscall"

// childAttr makes the kernel kill the server if usherload dies first, so
// an interrupted benchmark never leaves a server behind.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
