//go:build !unix

package store

// mmapReserve is 0 where bbolt makes the file as large as its mapping (Windows).
const mmapReserve = 0
