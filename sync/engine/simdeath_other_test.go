//go:build !linux

package engine_test

import "os/exec"

// dieWithParent is Linux's only: elsewhere the benchmark's cleanup stops the simulator.
func dieWithParent(*exec.Cmd) {}
