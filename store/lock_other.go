//go:build !unix

package store

import "os"

// canLock is false without flock: bbolt's own file lock is then all there is, and a held
// profile is reported as ErrLocked.
const canLock = false

func tryLock(*os.File, bool) (bool, error) { return true, nil }

func unlockFile(*os.File) error { return nil }
