//go:build linux

package store

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// mappedResident is how much of the file at path is resident in this process's mappings of it
// (bytes), from /proc/self/smaps.
func mappedResident(t *testing.T, path string) int64 {
	t.Helper()
	data, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Skip("no /proc/self/smaps")
	}
	var total int64
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":") {
			in = len(f) >= 6 && f[5] == path
			continue
		}
		if in && len(f) >= 2 && f[0] == "Rss:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			total += kb << 10
		}
	}
	return total
}

// A walk over a whole file keeps only what it read since its last drop resident; the same walk
// without the drops keeps the whole file (which shows the measure sees the mapping).
func TestLongWalkDropsMappedPages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "walk.stage")
	h, err := openStage(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer h.db.Close()
	val := bytes.Repeat([]byte("v"), 1000)
	for batch := 0; batch < 8; batch++ {
		err := h.update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("e"))
			if err != nil {
				return err
			}
			for i := 0; i < 5000; i++ {
				if err := b.Put(fmt.Appendf(nil, "%08d", batch*5000+i), val); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	const size = 40000 * 1000 // what a walk reads
	walk := func(drop bool) (resident int64) {
		err := h.view(func(tx *bolt.Tx) error {
			n, sum := 0, 0
			err := tx.Bucket([]byte("e")).ForEach(func(k, v []byte) error {
				sum += int(v[len(v)-1])
				if n++; drop && n%releaseRecords == 0 {
					h.releaseMapped(tx)
				}
				return nil
			})
			resident = mappedResident(t, path)
			if sum == 0 {
				t.Fatal("nothing read")
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return resident
	}
	if r := walk(false); r < size/2 {
		t.Skipf("%d bytes of the file resident after a walk of %d without drops: not measurable here", r, size)
	}
	if r := walk(true); r > size/8 {
		t.Errorf("%d bytes of the file resident during a walk of %d with drops every %d records", r, size, releaseRecords)
	}
	walk(false) // reads all without drops: the end of the transaction drops them
	if r := mappedResident(t, path); r > size/8 {
		t.Errorf("a finished transaction left %d bytes of the file resident", r)
	}
}
