package engine_test

import (
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel kill the simulator when the benchmark's process ends, also when
// that process is killed and runs no cleanup (a benchmark piped into head, an interrupt): a
// simulator left behind holds its memory and disturbs every later measurement.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
