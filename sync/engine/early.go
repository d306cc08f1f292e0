package engine

import (
	"context"
	"sync"

	"github.com/koppel-nl/koppel/sync/mapping"
)

// earlyFiles writes an entity's file, and prepares its state for the commit, as soon as its
// comparison is finished, while the other entities are still read and compared (the absences,
// settled once every employment is mapped, finish last): that work then runs on a core that
// would otherwise wait.
type earlyFiles struct {
	ctx context.Context
	r   *run

	mu      sync.Mutex
	wg      sync.WaitGroup
	written map[string]bool // entities whose file is written, or being written
	err     error
}

func (r *run) newEarlyFiles(ctx context.Context) *earlyFiles {
	return &earlyFiles{ctx: ctx, r: r, written: map[string]bool{}}
}

// ready starts writing ent's file and preparing its state for the commit; a file written as
// the entity was staged (stream, or nil) is only completed. A dry run (no earlyFiles), a run the
// guard blocks, and the documents (written with their attachments, at the delivery stage) are
// left to the delivery stage.
func (e *earlyFiles) ready(ent string, stream *streamFile) {
	if e == nil || ent == mapping.Documents {
		return
	}
	r := e.r
	r.changeMu.Lock()
	blocked := len(r.rec.Blocked) > 0
	r.changeMu.Unlock()
	if blocked {
		if stream != nil {
			stream.giveUp()
		}
		return
	}
	folder, err := r.outFolder()
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		if stream != nil {
			stream.giveUp()
		}
		e.fail(err)
		return
	}
	e.written[ent] = true
	write := func() error { return r.writeFile(e.ctx, folder, ent) }
	if stream != nil {
		write = stream.close
	}
	for _, job := range []func() error{
		write,
		// The entity's state after the run is built ahead of the commit when it had none (a
		// first run), so the commit moves it into place rather than copying it.
		func() error { return r.sess.Prepare(ent) },
	} {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			if err := job(); err != nil {
				e.mu.Lock()
				e.fail(err)
				e.mu.Unlock()
			}
		}()
	}
}

// fail keeps the first error and stops the run. e.mu is held.
func (e *earlyFiles) fail(err error) {
	if e.err == nil {
		e.err = err
		e.r.abort(err)
	}
}

// wait waits for the files started and returns the first failure.
func (e *earlyFiles) wait() error {
	if e == nil {
		return nil
	}
	e.wg.Wait()
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}

// done tells whether ent's file is written already.
func (e *earlyFiles) done(ent string) bool {
	if e == nil {
		return false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.written[ent]
}
