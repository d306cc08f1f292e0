package engine

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/mapping"
)

// HistoryEntity is the state bucket of the absences read only for the history window that
// belong to a delivered composite period. They are never delivered, counted or logged; the
// poortwachter view needs them to place the gaps of a period that began before date-from (the
// delivered EindeWachttijd holds only the sum of the gaps). Each row holds fields of
// verzuim.csv only: WerkgeverCode, Personeelsnummer (the holder as delivered), VerzuimId,
// EersteVerzuimdag and DatumHersteld.
const HistoryEntity = "absence_history"

// History row columns.
const (
	histEmployer = iota
	histEmployee
	histID
	histFirst
	histRecovered
	histCols
)

// historyAbsence is one absence read for the history window, of a period that has a delivered
// absence.
type historyAbsence struct {
	holder           holderKey
	id               int64
	first, recovered mapping.Day
}

func (h historyAbsence) key() string {
	return h.holder.employer + mapping.KeySep + h.holder.employee + mapping.KeySep + fmt.Sprintf("#%019d", h.id)
}

func (h historyAbsence) values() []string {
	return []string{h.holder.employer, h.holder.employee, strconv.FormatInt(h.id, 10), string(h.first.Append(nil)), string(h.recovered.Append(nil))}
}

// keepHistory stages the difference between the kept history absences and the stored ones, so
// a run in which nothing changed writes nothing. It is part of the run's delta: a failed or dry
// run keeps the stored rows as they were.
func keepHistory(sess Session, kept []historyAbsence) error {
	want := make(map[string][]string, len(kept))
	for _, h := range kept {
		want[h.key()] = h.values()
	}
	var rows []store.Staged
	err := sess.EachState(HistoryEntity, func(key string, old []string) error {
		cur, ok := want[key]
		switch {
		case !ok:
			rows = append(rows, store.Staged{Key: key, Kind: Verwijderd, Vals: old})
		case !slices.Equal(cur, old):
			rows = append(rows, store.Staged{Key: key, Kind: Gewijzigd, Vals: cur})
		}
		delete(want, key)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read stored history absences: %w", err)
	}
	for key, vals := range want {
		rows = append(rows, store.Staged{Key: key, Kind: Nieuw, Vals: vals})
	}
	for len(rows) > 0 {
		n := min(len(rows), stageBatch)
		if err := sess.Stage(HistoryEntity, rows[:n]); err != nil {
			return fmt.Errorf("stage history absences: %w", err)
		}
		rows = rows[n:]
	}
	return nil
}
