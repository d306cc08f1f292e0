package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Upload states of a delivery (the summary's upload.status).
const (
	UploadOK     = "ok"     // on the SFTP server, complete (verzonden)
	UploadQueued = "queued" // not yet uploaded (in wachtrij)
	UploadNone   = "none"   // the profile uploads nothing
)

// Upload is a delivery's upload over SFTP, kept on its run record.
type Upload struct {
	Status string `json:"status"`
	// Remote is the remote run folder (sftp://user@host:port/folder/<run>), once known.
	Remote string `json:"remote,omitempty"`
	// Error is the last attempt's error while the delivery is queued; on a run that could not
	// send the queue, why.
	Error string `json:"error,omitempty"`
	// ErrorKind says what kind of failure Error is (network, host_key, login, configuration,
	// remote, conflict, delivery, canceled), for saying it in the UI language.
	ErrorKind string    `json:"error_kind,omitempty"`
	Attempts  int       `json:"attempts,omitempty"` // uploads tried, over runs and pushes
	Sent      time.Time `json:"sent,omitzero"`
	// AlreadyThere: the server held the complete delivery already (an earlier upload whose
	// record was lost), so nothing was sent again.
	AlreadyThere bool `json:"already_there,omitempty"`
	// Skipped is when the consultant took the delivery out of the queue (koppel push --skip):
	// Status is then UploadNone, and koppel never sends it. Error keeps the last failure.
	Skipped time.Time `json:"skipped,omitzero"`
}

// bUploadQ is a profile file's upload queue: run sequence → run id, for every delivery whose
// Upload is queued. The sequence is the order of the runs, so the queue is in run order.
var bUploadQ = []byte("uploadq")

// queued tells whether a run belongs in the upload queue.
func (r *Run) queued() bool {
	return r.HasDelivery() && r.Upload != nil && r.Upload.Status == UploadQueued
}

// indexUpload keeps the queue in step with a run record put at seq (in putRun's transaction, so
// a delivery is queued in the very transaction that commits it).
func indexUpload(tx *bolt.Tx, run *Run, seq []byte) error {
	q := tx.Bucket(bUploadQ)
	if !run.queued() {
		if q == nil {
			return nil
		}
		return q.Delete(seq)
	}
	q, err := bucket(tx, bUploadQ)
	if err != nil {
		return err
	}
	return q.Put(seq, []byte(run.ID))
}

// inQueue tells whether the run at seq is queued: such a run is never pruned.
func inQueue(tx *bolt.Tx, seq []byte) bool {
	q := tx.Bucket(bUploadQ)
	return q != nil && q.Get(seq) != nil
}

// Queue returns the held profile's deliveries not yet uploaded, oldest first.
func (h *Session) Queue() ([]*Run, error) {
	if _, err := h.currentStage(); err != nil {
		return nil, err
	}
	runs, err := readQueue(h.h)
	if err != nil {
		return nil, fmt.Errorf("upload queue of %s: %w", h.name, err)
	}
	return runs, nil
}

func readQueue(ph *handle) ([]*Run, error) {
	var runs []*Run
	err := ph.view(func(tx *bolt.Tx) error {
		q, rb := tx.Bucket(bUploadQ), tx.Bucket(bRuns)
		if q == nil || rb == nil {
			return nil
		}
		return q.ForEach(func(seq, id []byte) error {
			v := rb.Get(seq)
			if v == nil {
				return fmt.Errorf("queued run %s has no record", id)
			}
			r, err := decodeRun(v)
			if err != nil {
				return err
			}
			runs = append(runs, r)
			return nil
		})
	})
	return runs, err
}

// QueueOf returns a profile's deliveries not yet uploaded, oldest first (none for a profile
// without data). A profile a run of another process holds fails with a *HeldError.
func (s *Store) QueueOf(name string) ([]*Run, error) {
	h, err := s.acquire(s.profilePath(name), false, name)
	if errors.Is(err, errNoFile) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer s.release(h)
	runs, err := readQueue(h)
	if err != nil {
		return nil, fmt.Errorf("upload queue of %s: %w", name, err)
	}
	return runs, nil
}

// SetUpload records a delivery's upload state on its run record, and queues or unqueues it in
// the same transaction. Only a delivery can be queued.
func (h *Session) SetUpload(runID string, u *Upload) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.usable(); err != nil {
		return err
	}
	h.h.commit.Lock()
	defer h.h.commit.Unlock()
	err := h.h.update(func(tx *bolt.Tx) error {
		ids, rb := tx.Bucket(bRunIDs), tx.Bucket(bRuns)
		if ids == nil || rb == nil || ids.Get([]byte(runID)) == nil {
			return fmt.Errorf("run %q: %w", runID, ErrNotFound)
		}
		seq := append([]byte(nil), ids.Get([]byte(runID))...)
		r, err := decodeRun(rb.Get(seq))
		if err != nil {
			return err
		}
		r.Upload = u
		data, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if err := rb.Put(seq, data); err != nil {
			return err
		}
		return indexUpload(tx, r, seq)
	})
	if err != nil {
		return fmt.Errorf("record upload of run %s: %w", runID, err)
	}
	return nil
}
