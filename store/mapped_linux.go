//go:build linux

package store

import "syscall"

// dropMapped drops the resident pages of the mapping [addr, addr+size) (shared, file-backed)
// from the process; the data stays in the file and the page cache. An error changes nothing a
// reader sees, so it is ignored.
func dropMapped(addr uintptr, size int64) {
	if addr == 0 || size <= 0 {
		return
	}
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, addr, uintptr(size), syscall.MADV_DONTNEED)
}
