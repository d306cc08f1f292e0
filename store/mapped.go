package store

import bolt "go.etcd.io/bbolt"

// bbolt reads the file through a shared read-only mapping, and every page a run touches (the
// comparison walks the whole state) stays in the process's resident set until the kernel needs
// the memory: at 100,000 employees about as much as the heap. The pages are the file's, in the
// page cache; dropping them from the mapping (madvise MADV_DONTNEED) costs no I/O, only a minor
// fault when one is read again. So every transaction drops them at its end, and a long walk every
// releaseRecords records, bounding the resident set by what is read between two drops.

// releaseRecords is how many records a long walk reads between two drops.
const releaseRecords = 1024

// releaseMapped drops the mapped pages of tx's file from the resident set. It must be called
// inside tx: an open transaction keeps bbolt from remapping the file, so the mapping it names is
// the one in place. The call costs a few microseconds when few pages are resident.
func (h *handle) releaseMapped(tx *bolt.Tx) {
	dropMapped(tx.DB().Info().Data, tx.Size())
}
