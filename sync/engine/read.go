package engine

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/runlog"
)

// maxBounds caps the page boundaries kept per connector for the next run's ranges.
const maxBounds = 512

// reader reads the connectors of a run: each split into key ranges, all ranges side by side, and
// every call through one pool of at most --parallel calls in flight. Pages go to feed as they
// arrive; a range goroutine that waits on feed holds no slot of the pool.
type reader struct {
	r        *run
	client   *afas.Client
	pool     *afas.Pool
	dateFrom time.Time

	mu      sync.Mutex
	conns   map[string]*connRead // by role
	maxRows int
}

// connRead is one connector's read across its ranges.
type connRead struct {
	con     connectors.Connector
	id      string
	ranges  []afas.Range
	stats   []afas.Stats // per range
	left    int          // ranges not yet done
	dropped map[string]bool
}

// bounds returns the page boundaries of this read, in key order, for the next run.
func (c *connRead) bounds() []string {
	var out []string
	for _, st := range c.stats {
		out = append(out, st.Bounds...)
	}
	if len(out) > maxBounds {
		step := float64(len(out)) / maxBounds
		thin := make([]string, 0, maxBounds)
		for i := 0; i < maxBounds; i++ {
			thin = append(thin, out[int(float64(i)*step)])
		}
		out = thin
	}
	return out
}

func (c *connRead) totals() (pages, rows int) {
	for _, st := range c.stats {
		pages += st.Pages
		rows += st.Rows
	}
	return pages, rows
}

// read reads every connector and hands each page of typed records to feed(role, page). It
// returns the page boundaries per connector id.
func (rd *reader) read(ctx context.Context, cons []connectors.Connector, prev func(id string) []string, feed func(role string, page []any) error, end func(role string)) (map[string][]string, error) {
	p := rd.r.p
	salary := p.SalaryColumn()
	rd.conns = map[string]*connRead{}
	var pages []int
	for _, con := range cons {
		id := p.ConnectorID(con.Role)
		cr := &connRead{con: con, id: id, dropped: map[string]bool{}}
		rd.conns[con.Role] = cr
		pages = append(pages, max(1, len(prev(id))))
	}
	split := planRanges(pages, rd.pool.Size())
	for i, con := range cons {
		cr := rd.conns[con.Role]
		cr.ranges = rangesFrom(prev(cr.id), split[i])
		cr.stats = make([]afas.Stats, len(cr.ranges))
		cr.left = len(cr.ranges)
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for _, con := range cons {
		cr := rd.conns[con.Role]
		base := afas.Query{Connector: cr.id, Fields: con.Whitelist(salary), Sort: con.Sort, Rename: p.FieldRenames(con.Role), Take: rd.r.opts.PageSize}
		if base.Take <= 0 {
			base.Take = afas.PageTake(len(base.Fields))
		}
		if con.DateFilter != "" {
			base.Filters = afas.OnOrAfterOrEmpty(con.DateFilter, rd.dateFrom.AddDate(0, 0, -con.HistoryDays).Format("2006-01-02"))
		}
		if con.TypeFilter != "" {
			base.Filters = afas.AnyOf(con.TypeFilter, p.Couplings.Documenten.Types) // other types are never requested
		}
		for i, rg := range cr.ranges {
			q := base
			q.Range = rg
			q.Progress = func(st afas.Stats) { rd.progress(cr, i, st) }
			wg.Add(1)
			go func() {
				defer wg.Done()
				conv := con.Decoder(salary) // this goroutine's own
				st, err := afas.ReadPages(ctx, rd.client, q, conv, func(page []any) error {
					if err := rd.checkRows(cr); err != nil {
						return err
					}
					return feed(con.Role, page)
				})
				if err != nil {
					cancel(err)
					return
				}
				if rd.done(cr, i, st) {
					end(con.Role)
				}
			}()
		}
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && err != context.Canceled {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, cr := range rd.conns {
		out[cr.id] = cr.bounds()
	}
	return out, nil
}

func (rd *reader) progress(cr *connRead, i int, st afas.Stats) {
	rd.mu.Lock()
	cr.stats[i] = st
	pages, rows := cr.totals()
	rd.mu.Unlock()
	rd.r.emit(Event{Type: "progress", Connector: cr.id, Pages: pages, Rows: rows})
}

// checkRows fails a connector that sends more rows than any real one holds.
func (rd *reader) checkRows(cr *connRead) error {
	rd.mu.Lock()
	_, rows := cr.totals()
	rd.mu.Unlock()
	if rd.maxRows > 0 && rows > rd.maxRows {
		return &afas.Error{Kind: afas.FaultProtocol, Connector: cr.id, Message: fmt.Sprintf("more than %d rows; AFAS keeps sending rows (raise the limit with --max-rows if this connector really holds that many)", rd.maxRows)}
	}
	return nil
}

// done records a finished range; the last range of a connector reports the connector read and
// returns true.
func (rd *reader) done(cr *connRead, i int, st afas.Stats) bool {
	rd.mu.Lock()
	cr.stats[i] = st
	cr.left--
	last := cr.left == 0
	var newly []string
	for _, f := range st.Dropped {
		if !cr.dropped[f] {
			cr.dropped[f] = true
			newly = append(newly, f)
		}
	}
	pages, rows := cr.totals()
	var dropped []string
	if last {
		for f := range cr.dropped {
			dropped = append(dropped, f)
		}
		slices.Sort(dropped)
	}
	rd.mu.Unlock()
	if !last {
		return false
	}
	r := rd.r
	r.emit(Event{Type: "progress", Connector: cr.id, Pages: pages, Rows: rows, Done: true})
	r.log(runlog.Log{Level: runlog.Metadata, Entity: cr.id, Code: "run.read", Args: []string{cr.id, strconv.Itoa(rows), strconv.Itoa(pages)}})
	if len(dropped) > 0 {
		r.log(runlog.Log{Level: runlog.Waarschuwing, Entity: cr.id, Code: "run.fields_dropped", Args: []string{cr.id, strings.Join(dropped, ", ")}})
	}
	return true
}

// planRanges decides into how many key ranges each connector is split, given how many pages
// each had last time and the calls allowed in flight. Every range costs one call more than its
// pages (the empty page that confirms its end), so splitting pays only while it shortens the
// longest chain of calls more than it adds calls: split the connector with the longest chain
// while the estimated rounds of calls go down.
func planRanges(pages []int, slots int) []int {
	k := make([]int, len(pages))
	for i := range k {
		k[i] = 1
	}
	rounds := func() float64 {
		longest, total := 0, 0
		for i, p := range pages {
			per := (p + k[i] - 1) / k[i]
			longest = max(longest, per+1)
			total += k[i] * (per + 1)
		}
		return max(float64(longest), float64(total)/float64(slots))
	}
	best := rounds()
	for {
		worst := -1
		for i, p := range pages {
			if k[i] < p && (worst < 0 || (p+k[i]-1)/k[i] > (pages[worst]+k[worst]-1)/k[worst]) {
				worst = i
			}
		}
		if worst < 0 {
			return k
		}
		k[worst]++
		if r := rounds(); r < best {
			best = r
			continue
		}
		k[worst]--
		return k
	}
}

// rangesFrom splits a connector into n ranges at boundaries taken evenly from the first keys of
// last run's pages (bounds[0] is the smallest key and no boundary). Boundaries only ever reach
// AFAS as filter values, so AFAS's own collation decides which row falls where.
func rangesFrom(bounds []string, n int) []afas.Range {
	var cuts []string
	if n > 1 && len(bounds) > 1 {
		for j := 1; j < n; j++ {
			b := bounds[j*len(bounds)/n]
			if b != "" && (len(cuts) == 0 || cuts[len(cuts)-1] != b) && b != bounds[0] {
				cuts = append(cuts, b)
			}
		}
	}
	out := make([]afas.Range, 0, len(cuts)+1)
	from := ""
	for _, c := range cuts {
		out = append(out, afas.Range{From: from, To: c})
		from = c
	}
	return append(out, afas.Range{From: from})
}

// runDeadline bounds a whole run when --max-run-time is set.
func runDeadline(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, d, fmt.Errorf("the run took longer than --max-run-time %s", d))
}
