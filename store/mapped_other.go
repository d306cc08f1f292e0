//go:build !linux

package store

// dropMapped does nothing where koppel does not measure or bound the resident set.
func dropMapped(addr uintptr, size int64) {}
