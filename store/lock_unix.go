//go:build unix

package store

import (
	"errors"
	"os"
	"syscall"
)

// canLock tells whether flock is available: the held-profile info is then trusted only while
// its holder keeps it locked, so a SIGKILL leaves no stale hold.
const canLock = true

// tryLock takes an advisory lock on f without waiting; it reports false when another open file
// holds a conflicting lock.
func tryLock(f *os.File, exclusive bool) (bool, error) {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		case errors.Is(err, syscall.EINTR):
			continue
		default:
			return false, err
		}
	}
}

// unlockFile releases f's advisory lock.
func unlockFile(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
