package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterr "go.etcd.io/bbolt/errors"

	"github.com/koppel-nl/koppel/sync/runlog"
)

// KindMatch is the Kind of a run record of the first-sync match (koppel match).
const KindMatch = "match"

// The first-sync match's data in a profile file: the consultant's decisions and how the last
// match ended. It lives beside the run history, in the profile's own file, so it goes with the
// profile (export, delete) and is read under the same locks.
var (
	bMatch     = []byte("match") // XS key (WerkgeverCode KeySep Personeelsnummer) → MatchDecision (JSON)
	kMatchLast = []byte("match") // in bMeta: MatchStatus (JSON) of the last match that was not a preview
)

// MatchDecision is the consultant's decision about one Xpert Suite employee: it is the AFAS
// employee AFASWerkgeverCode/AFASPersoneelsnummer, or, when both are empty, stays unmatched.
// Only keys are kept: no BSN, no name.
type MatchDecision struct {
	XSWerkgeverCode      string `json:"xs_werkgevercode"`
	XSPersoneelsnummer   string `json:"xs_personeelsnummer"`
	AFASWerkgeverCode    string `json:"werkgevercode,omitempty"`
	AFASPersoneelsnummer string `json:"personeelsnummer,omitempty"`
}

func (d MatchDecision) key() []byte { return []byte(d.XSWerkgeverCode + "\x1f" + d.XSPersoneelsnummer) }

// MatchStatus is how the last match of a profile ended: Open counts the records that still
// wait for a decision (candidates and conflicts as pairs, ambiguous records one by one).
type MatchStatus struct {
	Run      string    `json:"run"`
	Finished time.Time `json:"finished"`
	Open     int       `json:"open"`
}

// Waiting reports whether the match still waits for decisions.
func (m *MatchStatus) Waiting() bool { return m != nil && m.Open > 0 }

// MatchDecisions returns a profile's stored decisions, sorted by XS key; none for a profile
// without a file.
func (s *Store) MatchDecisions(name string) ([]MatchDecision, error) {
	var out []MatchDecision
	err := s.readProfile(name, true, func(tx *bolt.Tx) error {
		var err error
		out, err = readDecisions(tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("match decisions of %s: %w", name, err)
	}
	return out, nil
}

// MatchStatusOf returns how the last match of a profile ended, or nil when it had none.
func (s *Store) MatchStatusOf(name string) (*MatchStatus, error) {
	var st *MatchStatus
	err := s.readProfile(name, true, func(tx *bolt.Tx) error {
		var err error
		st, err = readMatchStatus(tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("match status of %s: %w", name, err)
	}
	return st, nil
}

// MatchDecisions returns the held profile's stored decisions.
func (h *Session) MatchDecisions() ([]MatchDecision, error) {
	if _, err := h.currentStage(); err != nil {
		return nil, err
	}
	var out []MatchDecision
	err := h.h.view(func(tx *bolt.Tx) error {
		var err error
		out, err = readDecisions(tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("match decisions of %s: %w", h.name, err)
	}
	return out, nil
}

// MatchStatus returns how the held profile's last match ended, or nil.
func (h *Session) MatchStatus() (*MatchStatus, error) {
	if _, err := h.currentStage(); err != nil {
		return nil, err
	}
	var st *MatchStatus
	err := h.h.view(func(tx *bolt.Tx) error {
		var err error
		st, err = readMatchStatus(tx)
		return err
	})
	return st, err
}

// RecordMatch records a match in one transaction: its run record (Kind KindMatch) with its
// log, the decisions that replace the stored ones, its status and, like a delivery's commit,
// the pending rename of its folder (nil: none), which the next run completes should this
// process die before the rename. A preview (run.DryRun) records only the run: decisions and
// status stay as they were.
func (h *Session) RecordMatch(run *Run, logs []runlog.Log, decisions []MatchDecision, status MatchStatus, pending *Pending) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.usable(); err != nil {
		return err
	}
	if err := h.checkRun(run); err != nil {
		return err
	}
	if run.Kind != KindMatch {
		return fmt.Errorf("run %s: a match is recorded with kind %q, not %q", run.ID, KindMatch, run.Kind)
	}
	for _, d := range decisions {
		if d.XSWerkgeverCode == "" || d.XSPersoneelsnummer == "" || (d.AFASWerkgeverCode == "") != (d.AFASPersoneelsnummer == "") {
			return fmt.Errorf("match decision for XS %s/%s: needs the whole XS key and either the whole AFAS key or none", d.XSWerkgeverCode, d.XSPersoneelsnummer)
		}
	}
	h.h.commit.Lock()
	defer h.h.commit.Unlock()
	var pruned []string
	err := h.h.update(func(tx *bolt.Tx) error {
		var err error
		if pruned, err = putRun(tx, run, logs, nil, h.retention()); err != nil {
			return err
		}
		if run.DryRun {
			return nil
		}
		if err := tx.DeleteBucket(bMatch); err != nil && !errors.Is(err, bolterr.ErrBucketNotFound) {
			return err
		}
		mb, err := tx.CreateBucket(bMatch)
		if err != nil {
			return err
		}
		for _, d := range decisions {
			data, err := json.Marshal(d)
			if err != nil {
				return err
			}
			if err := mb.Put(d.key(), data); err != nil {
				return err
			}
		}
		data, err := json.Marshal(status)
		if err != nil {
			return err
		}
		meta, err := bucket(tx, bMeta)
		if err != nil {
			return err
		}
		if pending != nil {
			pd, err := json.Marshal(pending)
			if err != nil {
				return err
			}
			if err := meta.Put(kPending, pd); err != nil {
				return err
			}
		}
		return meta.Put(kMatchLast, data)
	})
	if err != nil {
		return fmt.Errorf("record match %s: %w", run.ID, err)
	}
	h.s.learnRuns(h.name, pruned, run.ID)
	return nil
}

func readDecisions(tx *bolt.Tx) ([]MatchDecision, error) {
	b := tx.Bucket(bMatch)
	if b == nil {
		return nil, nil
	}
	var out []MatchDecision
	err := b.ForEach(func(k, v []byte) error {
		var d MatchDecision
		if err := json.Unmarshal(v, &d); err != nil {
			return fmt.Errorf("decision %q: %w", k, err)
		}
		out = append(out, d)
		return nil
	})
	return out, err
}

func readMatchStatus(tx *bolt.Tx) (*MatchStatus, error) {
	mb := tx.Bucket(bMeta)
	if mb == nil || mb.Get(kMatchLast) == nil {
		return nil, nil
	}
	st := &MatchStatus{}
	if err := json.Unmarshal(mb.Get(kMatchLast), st); err != nil {
		return nil, fmt.Errorf("match status: %w", err)
	}
	return st, nil
}
