package engine

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/delivery"
	"github.com/koppel-nl/koppel/sync/documents"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/runlog"
)

// AFAS Documenten in the engine: the dossier items stream in like any connector's rows once the
// delivered employees are known; each is judged by the rules, looked up in the delivered state,
// and only a document that is new or modified since its delivery is downloaded — straight into
// the run's delivery folder, through the run's pool of AFAS calls. A download whose bytes are
// the ones delivered before is dropped again: the state learns its new Gewijzigd_op, the file is
// not sent twice.

// outFolder creates the run's delivery folder the first time it is needed: at the first
// download, or else at the delivery stage. execute discards it unless the run commits.
func (r *run) outFolder() (*delivery.Folder, error) {
	r.outOnce.Do(func() { r.out, r.outErr = delivery.Create(r.p.Delivery.Outbox, r.p.Name, r.rec.ID) })
	return r.out, r.outErr
}

// docStage is the documents of one run.
type docStage struct {
	r      *run
	d      *diff
	m      *mapping.Mapper
	client *afas.Client
	types  []string
	maxMB  int
	slots  chan struct{} // downloads side by side: as many as the pool has calls
	wg     sync.WaitGroup

	mu        sync.Mutex // d's batch and counts, bytes, sameContent, err
	bytes     int64
	sameState map[string]bool // staged only for the state: same bytes, new Gewijzigd_op
	err       error
	otherType int
	dirMade   bool
	fetched   int   // downloads finished (or failed), for the progress line
	read      int64 // bytes downloaded, sent or not
}

// subjectProgress is the progress line of the downloads: GetAttachment calls, beside the
// connectors' lines.
const subjectProgress = "GetAttachment"

func (pl *pipeline) newDocStage(client *afas.Client, slots int) *docStage {
	p := pl.r.p.Couplings.Documenten
	return &docStage{r: pl.r, d: pl.diffs[mapping.Documents], m: pl.m, client: client, types: p.Types, maxMB: int(p.MaxFileBytes() >> 20),
		slots: make(chan struct{}, max(1, slots)), sameState: map[string]bool{}}
}

// documents runs the documents stage: every page, then the downloads, then what is gone.
func (pl *pipeline) documents(ctx context.Context, ready chan struct{}) error {
	ch, ok := pl.pages[connectors.Dossieritems]
	if !ok {
		return nil
	}
	select {
	case <-ready:
	case <-ctx.Done():
		drainQuiet(ch)
		return context.Cause(ctx)
	}
	ds := pl.docs
	ds.r.log(runlog.Log{Level: runlog.Metadata, Entity: documents.Entity, Code: "doc.types", Args: []string{strings.Join(ds.types, ", ")}})
	fetched := 0
	var err error
	for page := range ch {
		fetched += len(page)
		if err = ds.page(ctx, page); err != nil {
			break
		}
	}
	ds.wg.Wait()
	ds.mu.Lock()
	ds.d.c.Fetched += fetched
	if err == nil {
		err = ds.err
	}
	ds.mu.Unlock()
	if err != nil {
		return err
	}
	if ds.otherType > 0 {
		ds.r.log(runlog.Log{Level: runlog.Metadata, Entity: documents.Entity, Code: "doc.other_types", Args: []string{strconv.Itoa(ds.otherType)}})
	}
	ds.d.c.Bytes = ds.bytes
	if ds.fetched > 0 {
		ds.r.emit(Event{Type: "progress", Connector: subjectProgress, Pages: ds.fetched, Rows: ds.fetched, Done: true})
		ds.r.log(runlog.Log{Level: runlog.Metadata, Entity: documents.Entity, Code: "doc.fetched", Args: []string{strconv.Itoa(ds.fetched), documents.SizeText(ds.read)}})
	}
	return ds.d.finish()
}

// page judges a page of items, looks the candidates up in the state and starts their downloads.
func (ds *docStage) page(ctx context.Context, page []any) error {
	d := ds.d
	var cands []documents.Item
	var keys []string
	for _, v := range page {
		it := v.(documents.Item)
		id := documents.ID(it)
		verdict := documents.Judge(it, ds.types, ds.m.Delivered)
		ds.mu.Lock()
		switch verdict {
		case documents.SkipType:
			ds.otherType++
		case documents.SkipEmployee:
			ds.r.log(runlog.Log{Level: runlog.Melding, Entity: documents.Entity, Key: id, Code: "doc.not_delivered", Args: []string{it.Medewerker}})
		case documents.RejectField:
			d.seen[maphash.String(d.seed, id)] = struct{}{}
			d.c.Rejected++
			fe := it.Errs[0]
			ds.r.log(runlog.Log{Level: runlog.Uitval, Entity: documents.Entity, Key: id, Code: "field.invalid", Args: []string{fe.Field, fe.Err.Error()}})
		case documents.RejectID, documents.RejectSubject:
			d.c.Rejected++
			ds.r.log(runlog.Log{Level: runlog.Uitval, Entity: documents.Entity, Key: clip(id, 80), Code: "doc.bad_key"})
		default:
			cands = append(cands, it)
			keys = append(keys, id)
		}
		ds.mu.Unlock()
	}
	if len(cands) == 0 {
		return nil
	}
	olds := make([][]string, len(cands))
	err := d.sess.GetMany(d.ent, keys, func(i int, raw []byte) error {
		if raw == nil {
			return nil
		}
		old, err := store.DecodeValues(raw)
		olds[i] = old
		return err
	})
	if err != nil {
		return fmt.Errorf("read delivered state of %s: %w", d.ent, err)
	}
	for i, it := range cands {
		ds.mu.Lock()
		d.seen[maphash.String(d.seed, keys[i])] = struct{}{}
		if documents.Unchanged(olds[i], it) {
			// Same Gewijzigd_op as delivered: not even downloaded.
			d.c.Unchanged++
			ds.mu.Unlock()
			continue
		}
		if ds.err != nil {
			ds.mu.Unlock()
			return ds.err
		}
		ds.mu.Unlock()
		if ds.r.opts.DryRun {
			// A preview downloads nothing: what would be fetched is what is new or modified.
			ds.preview(it, olds[i])
			continue
		}
		select {
		case ds.slots <- struct{}{}:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		ds.wg.Add(1)
		go func(it documents.Item, old []string) {
			defer ds.wg.Done()
			defer func() { <-ds.slots }()
			if err := ds.download(ctx, it, old); err != nil {
				ds.mu.Lock()
				if ds.err == nil {
					ds.err = err
				}
				ds.mu.Unlock()
				ds.r.abort(err)
			}
		}(it, olds[i])
	}
	ds.mu.Lock()
	defer ds.mu.Unlock()
	return d.flush(false)
}

func (ds *docStage) preview(it documents.Item, old []string) {
	pn, wg, _ := ds.m.DeliveredAs(it.Medewerker)
	vals := documents.Row(it, pn, wg, 0, "")
	ds.mu.Lock()
	defer ds.mu.Unlock()
	kind := Gewijzigd
	if old == nil {
		kind = Nieuw
		ds.d.c.New++
	} else {
		ds.d.c.Changed++
	}
	ds.r.change(documents.Entity, documents.ID(it), kind, old, vals)
}

// download fetches one attachment into the delivery folder and stages what it is. A failure of
// that document is its Uitval; only a failure of the run (token refused, disk full) is returned.
func (ds *docStage) download(ctx context.Context, it documents.Item, old []string) error {
	folder, err := ds.r.outFolder()
	if err != nil {
		return err
	}
	dir := filepath.Join(folder.Temp, documents.Folder)
	ds.mu.Lock()
	if !ds.dirMade {
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			ds.mu.Unlock()
			return fmt.Errorf("create %s: %w", documents.Folder, err)
		}
		ds.dirMade = true
	}
	ds.mu.Unlock()
	id := documents.ID(it)
	rel := documents.Path(it)
	path := filepath.Join(folder.Temp, filepath.FromSlash(rel))
	att, err := ds.client.DownloadAttachment(ctx, int(it.Dossieritem), it.BijlageID, path, int64(ds.maxMB)<<20)
	ds.mu.Lock()
	ds.fetched++
	ds.read += att.Size
	n := ds.fetched
	ds.mu.Unlock()
	ds.r.emit(Event{Type: "progress", Connector: subjectProgress, Pages: n, Rows: n})
	if err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if documents.Fatal(err) {
			return err
		}
		code, args := documents.Failure(err, ds.maxMB)
		ds.mu.Lock()
		ds.d.c.Rejected++
		ds.mu.Unlock()
		ds.r.log(runlog.Log{Level: runlog.Uitval, Entity: documents.Entity, Key: id, Code: code, Args: args})
		return nil
	}
	pn, wg, _ := ds.m.DeliveredAs(it.Medewerker)
	vals := documents.Row(it, pn, wg, att.Size, att.SHA256)
	ds.mu.Lock()
	defer ds.mu.Unlock()
	d := ds.d
	switch documents.Compare(old, att.SHA256) {
	case documents.New:
		d.c.New++
		ds.bytes += att.Size
		d.stage(id, Nieuw, vals)
		ds.r.change(d.ent, id, Nieuw, nil, vals)
	case documents.Changed:
		d.c.Changed++
		ds.bytes += att.Size
		d.stage(id, Gewijzigd, vals)
		ds.r.change(d.ent, id, Gewijzigd, old, vals)
	case documents.SameContent:
		// Modified in AFAS, the same bytes: not sent again; the state keeps the new Gewijzigd_op
		// so it is not downloaded again either.
		d.c.Unchanged++
		ds.sameState[id] = true
		d.stage(id, Gewijzigd, vals)
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("remove %s: %w", rel, err)
		}
	}
	return d.flush(false)
}

// writeDocuments writes documenten.csv: only what is sent in this delivery — new and changed
// documents, and in mode mutaties the removed ones — and lists every attachment in the manifest.
func (r *run) writeDocuments(ctx context.Context, folder *delivery.Folder, ds *docStage) error {
	ent := documents.Entity
	layout, problems := r.p.Delivery.Layout(ent)
	if len(problems) > 0 {
		return fmt.Errorf("delivery.columns of %s: %v", documents.File, problems)
	}
	header := layout.Header()
	mutaties := r.p.Delivery.Mode == profile.ModeMutaties
	mutCol := r.p.Delivery.MutationHeader()
	if mutaties && mutCol != "" {
		header = append([]string{mutCol}, header...)
	}
	c := r.rec.Entities[ent]
	c.Delivered = 0
	var attachments []delivery.File
	err := folder.WriteCSV(documents.File, header, func(emit func([]string) error) error {
		var buf, out []string
		return r.sess.EachDelivered(ent, func(key string, vals []string, kind string) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			switch {
			case kind == "" || ds.sameState[key]:
				return nil // sent before: a document is sent once
			case kind == Verwijderd && !mutaties:
				return nil
			case kind == Verwijderd && mutCol == "":
				r.log(runlog.Log{Level: runlog.Waarschuwing, Entity: ent, Key: key, Code: "run.removal_not_sent"})
				return nil
			case kind == Verwijderd:
				vals = documents.Removed(vals)
			default:
				size, _ := strconv.ParseInt(vals[documents.ColGrootte], 10, 64)
				attachments = append(attachments, delivery.File{Name: vals[documents.ColBestand], Size: size, SHA256: vals[documents.ColSHA256]})
			}
			out = layout.Row(vals, out)
			row := out
			if mutaties && mutCol != "" {
				buf = append(append(buf[:0], kind), out...)
				row = buf
			}
			c.Delivered++
			return emit(row)
		})
	})
	if err != nil {
		return err
	}
	folder.AddFiles(attachments)
	if len(attachments) == 0 {
		// Only failed downloads: no empty folder in the delivery.
		_ = os.Remove(filepath.Join(folder.Temp, documents.Folder))
	}
	return nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
