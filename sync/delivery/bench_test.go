package delivery

import (
	"fmt"
	"testing"
)

// BenchmarkWriteCSV100k writes a file of 100,000 rows of 27 fields (a few of which need quotes)
// from rows in memory: the CSV writing alone.
//
//	go test ./sync/delivery -run '^$' -bench WriteCSV -benchmem -count 5
func BenchmarkWriteCSV100k(b *testing.B) {
	rows := make([][]string, 100_000)
	for i := range rows {
		pn := fmt.Sprintf("%06d", 100000+i)
		rows[i] = []string{
			"1000", pn, pn, fmt.Sprintf("%09d", 100000000+i*7), "J.", "Jan", "Jan", "van der", fmt.Sprintf("Achternaam%d", i),
			"", "M", "1980-01-31", fmt.Sprintf("jan%d@example.nl", i), "020-1234567", "06-12345678",
			"1", "2020-01-01", "", fmt.Sprintf("AFD%03d", i%300), "F12", "Medewerker; \"senior\"", "38", "100", "Vast", pn,
			"3500.00", "Maand",
		}
	}
	header := make([]string, len(rows[0]))
	for j := range header {
		header[j] = fmt.Sprintf("col%d", j)
	}
	out := b.TempDir()
	for i := 0; b.Loop(); i++ {
		f, err := Create(out, "p", fmt.Sprintf("run-%d", i))
		if err != nil {
			b.Fatal(err)
		}
		err = f.WriteCSV("dienstverbanden.csv", header, func(emit func([]string) error) error {
			for _, r := range rows {
				if err := emit(r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		f.Discard()
	}
}
