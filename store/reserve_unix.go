//go:build unix

package store

import "strconv"

// mmapReserve is the mapping a bbolt file is opened with (64-bit systems; 0 elsewhere, where
// address space is scarce). bbolt remaps a file that outgrows its mapping, and before that copies
// every key and value the write transaction holds out of the old mapping: on a first run, about
// the whole state again. On unix a mapping beyond the end of the file reserves address space
// only; what is resident is what is read (and dropped, mapped.go). bbolt grows the file itself
// as before, in steps of its AllocSize.
const mmapReserve = (1 << 30) * (strconv.IntSize / 64)
