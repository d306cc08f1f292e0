package delivery

import (
	"os"
	"syscall"
)

// startWriteback asks the system to start writing n bytes of f from off to disk, without
// waiting for it: the sync that closes the file then finds most of it written already, rather
// than writing all of it while the run waits.
func startWriteback(f *os.File, off, n int64) {
	const syncFileRangeWrite = 2 // SYNC_FILE_RANGE_WRITE: start the writeback, do not wait
	_, _, _ = syscall.Syscall6(syscall.SYS_SYNC_FILE_RANGE, f.Fd(), uintptr(off), uintptr(n), syncFileRangeWrite, 0, 0)
}
