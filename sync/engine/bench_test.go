package engine_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/cputime"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/memlimit"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/token"
)

// The scale benchmarks run koppel against `koppel afas-sim` in its own process, so the figures
// (peak RSS above all) are koppel's and not the simulator's. Run them with
//
//	go test ./sync/engine -run '^$' -bench 'Scale|Schedule' -benchtime 1x -timeout 30m
//
// Scale10k and Scale100k report, for a first run and a second run with nothing changed: rows
// read per second, koppel's wall time divided by that of a fetch-only client on the same
// simulator (the same pages, four connectors in parallel, decoding nothing), the peak heap and
// the peak RSS of this process, and the state records the second run wrote (must be 0).
// Schedule20k runs 20,000 employees with 500 ms per answer and reports koppel's second run
// divided by the classic schedule (four connectors in parallel, each page after the previous one).
func BenchmarkScale10k(b *testing.B)  { benchmarkScale(b, 10_000) }
func BenchmarkScale100k(b *testing.B) { benchmarkScale(b, 100_000) }

func benchmarkScale(b *testing.B, employees int) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		sim := startSimProcess(b, "--employees", strconv.Itoa(employees), "--seed", "1")
		st, name := benchStore(b, sim.url, sim.token)
		// The fetch-only client runs twice before koppel's runs and once after, against a
		// simulator warmed up by a run of it, and its median is the measure: on a shared
		// machine one run of it varies by a fifth, the machine's pace drifts over the minute
		// the benchmark takes, and the first answers of a simulator just started are slower.
		sim.fetchOnly(b, 4, 0)
		sim0 := sim.cpu()
		f1, answered, fetchRows := sim.fetchOnly(b, 4, 0)
		f2, _, _ := sim.fetchOnly(b, 4, 0)
		fetchSim := (sim.cpu() - sim0) / 2
		b.StartTimer()

		first := measure(b, sim, st, name)
		b.StopTimer()
		second := measure(b, sim, st, name)
		f3, _, _ := sim.fetchOnly(b, 4, 0)
		fetchOnly := median3(f1, f2, f3)
		// The fetch-only client reads the same pages: the same rows.
		if first.read != int(fetchRows) {
			b.Fatalf("koppel read %d rows, the fetch-only client %d", first.read, fetchRows)
		}
		b.ReportMetric(float64(first.read)/first.wall.Seconds(), "rows/s")
		b.ReportMetric(first.wall.Seconds(), "1st-s")
		b.ReportMetric(first.wall.Seconds()/fetchOnly.Seconds(), "1st/fetch-only")
		b.ReportMetric(first.heap, "1st-heap-MiB")
		b.ReportMetric(first.rss, "1st-RSS-MiB")
		b.ReportMetric(second.wall.Seconds(), "2nd-s")
		b.ReportMetric(second.wall.Seconds()/fetchOnly.Seconds(), "2nd/fetch-only")
		b.ReportMetric(second.heap, "2nd-heap-MiB")
		b.ReportMetric(second.rss, "2nd-RSS-MiB")
		b.ReportMetric(first.anon, "1st-RSS-anon-MiB")
		b.ReportMetric(first.file, "1st-RSS-file-MiB")
		b.ReportMetric(second.anon, "2nd-RSS-anon-MiB")
		b.ReportMetric(second.file, "2nd-RSS-file-MiB")
		b.ReportMetric(fetchOnly.Seconds(), "fetch-only-s")
		b.ReportMetric(float64(answered)/1e6, "answers-MB")
		// CPU seconds: koppel's and the simulator's during each run, the simulator's for the
		// fetch-only client. Both share this machine's cores.
		b.ReportMetric(first.cpu.Seconds(), "1st-cpu-s")
		b.ReportMetric(first.simCPU.Seconds(), "1st-sim-cpu-s")
		b.ReportMetric(first.gc.Seconds(), "1st-gc-cpu-s")
		b.ReportMetric(float64(first.gcs), "1st-gcs")
		b.ReportMetric(second.cpu.Seconds(), "2nd-cpu-s")
		b.ReportMetric(fetchSim.Seconds(), "fetch-only-sim-cpu-s")
		if second.run.StateWrites != 0 {
			b.Fatalf("a run with nothing changed wrote %d state records", second.run.StateWrites)
		}
		b.ReportMetric(float64(second.run.StateWrites), "2nd-state-writes")
	}
}

func BenchmarkSchedule20k(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		sim := startSimProcess(b, "--employees", "20000", "--seed", "1", "--latency", "500ms", "--row-cost", "20us")
		st, name := benchStore(b, sim.url, sim.token)
		sim.fetchOnly(b, 4, 0) // warms the simulator up: its first answers are slower
		classic, _, _ := sim.fetchOnly(b, 4, 0)
		old, _, _ := sim.fetchOnly(b, 4, 1000) // the pages of 1,000 rows koppel used to ask
		measure(b, sim, st, name)              // the first run records the page boundaries
		b.StartTimer()
		second := measure(b, sim, st, name)
		b.StopTimer()
		b.ReportMetric(second.wall.Seconds(), "koppel-s")
		b.ReportMetric(classic.Seconds(), "classic-s")
		b.ReportMetric(second.wall.Seconds()/classic.Seconds(), "koppel/classic")
		b.ReportMetric(second.wall.Seconds()/old.Seconds(), "koppel/classic-1000")
	}
}

type measured struct {
	run  *store.Run
	read int // rows of the answers, over every connector
	wall time.Duration
	// cpu is this process's CPU time during the run, simCPU the simulator's.
	cpu, simCPU time.Duration
	// gc is the collector's share of cpu, and gcs the number of collections.
	gc        time.Duration
	gcs       uint64
	heap, rss float64
	// anon and file are the peaks of the resident set's anonymous and file-backed parts.
	anon, file float64
}

func measure(b *testing.B, sim *simProcess, st *store.Store, name string) measured {
	b.Helper()
	runtime.GC()
	resetPeakRSS()
	base := heapInUse()
	peak := sampler()
	// KOPPEL_CPUPROFILE=FILE profiles the CPU of the first run measured (FILE), not the
	// simulator's start or the fetch-only client.
	if path := os.Getenv("KOPPEL_CPUPROFILE"); path != "" {
		if _, err := os.Stat(path); os.IsNotExist(err) {
			if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
				defer func() { pprof.StopCPUProfile(); f.Close() }()
			}
		}
	}
	cpu0, sim0 := cputime.Process(), sim.cpu()
	gc0, gcs0 := gcWork()
	start := time.Now()
	// KOPPEL_HEAPPROFILE=FILE writes the heap in use when the reading ends, where it peaks, and
	// FILE.smaps the process's mappings then (what of the state files is resident).
	var emit func(engine.Event)
	if path := os.Getenv("KOPPEL_HEAPPROFILE"); path != "" {
		emit = func(ev engine.Event) {
			if ev.Type == "stage" && ev.Stage == engine.StageCompare {
				if b, err := os.ReadFile("/proc/self/smaps"); err == nil {
					_ = os.WriteFile(path+".smaps", b, 0o644)
				}
				if f, err := os.Create(path); err == nil {
					_ = pprof.Lookup("heap").WriteTo(f, 0)
					f.Close()
				}
			}
		}
	}
	// The rows each connector read, as its progress says.
	read := map[string]int{}
	var readMu sync.Mutex
	{
		inner := emit
		emit = func(ev engine.Event) {
			if ev.Type == "progress" && ev.Connector != "" {
				readMu.Lock()
				read[ev.Connector] = max(read[ev.Connector], ev.Rows)
				readMu.Unlock()
			}
			if inner != nil {
				inner(ev)
			}
		}
	}
	// The memory limit the koppel binary sets for itself (cmd/koppel's main).
	ctx, stop := context.WithCancel(context.Background())
	memlimit.Start(ctx)
	// KOPPEL_STAGES=1 logs when each stage of the run began, and how busy the cores were.
	if os.Getenv("KOPPEL_STAGES") != "" {
		inner := emit
		emit = func(ev engine.Event) {
			switch {
			case ev.Type == "stage":
				fmt.Fprintf(os.Stderr, "%6.2fs %s\n", time.Since(start).Seconds(), ev.Stage)
			case ev.Connector != "" && (ev.Done || ev.Pages == 1):
				fmt.Fprintf(os.Stderr, "%6.2fs %s page %d, %d rows, done %v\n", time.Since(start).Seconds(), ev.Connector, ev.Pages, ev.Rows, ev.Done)
			}
			if inner != nil {
				inner(ev)
			}
		}
	}
	if os.Getenv("KOPPEL_STAGES") != "" {
		defer cpuTimeline(sim, start)()
	}
	res, err := engine.New(st).Run(ctx, name, engine.Options{}, emit)
	wall := time.Since(start)
	cpu, simCPU := cputime.Process()-cpu0, sim.cpu()-sim0
	gc1, gcs1 := gcWork()
	stop()
	top := peak()
	if err != nil {
		b.Fatal(err)
	}
	rows := 0
	for _, n := range read {
		rows += n
	}
	return measured{run: res.Run, read: rows, wall: wall, cpu: cpu, simCPU: simCPU, gc: gc1 - gc0, gcs: gcs1 - gcs0, heap: float64(top.heap-min(base, top.heap)) / (1 << 20), rss: peakRSS(),
		anon: float64(top.anon) / (1 << 20), file: float64(top.file) / (1 << 20)}
}

// simProcess is `koppel afas-sim` running beside the benchmark.
type simProcess struct {
	url, token string
	pid        int
}

// cpu is the simulator's CPU time so far (user and system, Linux; zero elsewhere).
func (s *simProcess) cpu() time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.pid))
	if err != nil {
		return 0
	}
	// Fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
	_, rest, _ := bytes.Cut(data, []byte(") "))
	f := strings.Fields(string(rest))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // clock ticks of 1/100 s (USER_HZ)
}

func startSimProcess(b *testing.B, args ...string) *simProcess {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "koppel")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/koppel").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, append([]string{"afas-sim"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sim := &simProcess{pid: cmd.Process.Pid}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "url "); ok {
			sim.url = v
		}
		if v, ok := strings.CutPrefix(line, "token "); ok {
			sim.token = v
		}
		if sim.url != "" && sim.token != "" {
			break
		}
	}
	if sim.url == "" {
		b.Fatal("the simulator printed no URL")
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return sim
}

func benchStore(b *testing.B, url, token string) (*store.Store, string) {
	b.Helper()
	dir := b.TempDir()
	st, err := store.Open(filepath.Join(dir, "koppel.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	p := &profile.Profile{
		Name:     "bench",
		Account:  profile.Account{Name: "Bench BV", Participant: "12345", Environment: "production", URL: url, Token: token},
		Employer: "ZBV",
		Couplings: profile.Couplings{
			Werknemer: profile.Werknemer{Enabled: true, Managers: true, Salary: &profile.Salary{Column: afassim.SalaryColumn, Kind: "maandloon"}},
			Verzuim:   profile.Verzuim{Enabled: true},
		},
		DateFrom: benchDateFrom.Format("2006-01-02"),
		Delivery: profile.Delivery{Outbox: filepath.Join(dir, "outbox"), Mode: profile.ModeMutaties},
	}
	p.Defaults()
	if err := st.PutProfile(p); err != nil {
		b.Fatal(err)
	}
	return st, p.Name
}

// fetchOnly reads the same pages a run reads — same connectors, fields, sort and date-from
// filters, the guideline page size unless take is set — four connectors in parallel, each page
// after the previous one (skip/take), and decodes nothing: the floor of what reading costs.
func (s *simProcess) fetchOnly(b *testing.B, parallel, take int) (wall time.Duration, answered, rows int64) {
	b.Helper()
	tok, _, err := token.NormalizeToken(s.token)
	if err != nil {
		b.Fatal(err)
	}
	auth := token.AuthorizationHeader(tok)
	hc := afas.NewHTTPClient()
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	var total atomic.Int64 // bytes of the answers
	var rowsRead atomic.Int64
	start := time.Now()
	errs := make(chan error, 8)
	for _, con := range connectors.Needed(connectors.Selection{Werknemer: true, Verzuim: true}) {
		fields := con.Whitelist(afassim.SalaryColumn)
		n := take
		if n == 0 {
			n = afas.PageTake(len(fields))
		}
		var filters string
		if con.DateFilter != "" {
			// A run's filter: date-from, less the history its rules read.
			filters = afas.FiltersXML(afas.OnOrAfterOrEmpty(con.DateFilter, benchDateFrom.AddDate(0, 0, -con.HistoryDays).Format("2006-01-02")))
		}
		var sorts []afas.SortField
		for _, f := range con.Sort {
			sorts = append(sorts, afas.SortField{Field: f})
		}
		opts := afas.Options{Sort: sorts}.XML()
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			for skip := 0; ; skip += n {
				size, nbytes, err := rawCall(hc, s.url, auth, con.ID, filters, opts, skip, n)
				total.Add(int64(nbytes))
				rowsRead.Add(int64(size))
				if err != nil {
					errs <- err
					return
				}
				if size < n {
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	return time.Since(start), total.Load(), rowsRead.Load()
}

// benchDateFrom is the date-from of the benchmarks' profile.
var benchDateFrom = time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC)

var rowTag = []byte("&lt;/Koppel_")

// rawCall posts one GetDataWithOptions and counts the rows in the answer without decoding it.
func rawCall(hc *http.Client, url, auth, connector, filters, opts string, skip, take int) (rows, size int, err error) {
	var body bytes.Buffer
	body.WriteString(`<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetDataWithOptions xmlns="urn:Afas.Profit.Services">`)
	fmt.Fprintf(&body, "<connectorId>%s</connectorId><filtersXml>%s</filtersXml><skip>%d</skip><take>%d</take><options>%s</options>",
		connector, xmlText(filters), skip, take, xmlText(opts))
	body.WriteString(`</GetDataWithOptions></soap:Body></soap:Envelope>`)
	req, err := http.NewRequest(http.MethodPost, url, &body)
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", "urn:Afas.Profit.Services/GetDataWithOptions")
	req.Header.Set("Authorization", auth)
	res, err := hc.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, 0, err
	}
	if res.StatusCode != 200 {
		return 0, 0, fmt.Errorf("%s: HTTP %d", connector, res.StatusCode)
	}
	// Row elements close as </Koppel_X> inside the escaped document (fields have other names).
	return bytes.Count(data, rowTag), len(data), nil
}

func xmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// gcWork is the CPU time the collector has taken so far, and the collections it made.
func gcWork() (time.Duration, uint64) {
	s := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}, {Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	var cpu time.Duration
	var n uint64
	if s[0].Value.Kind() == metrics.KindFloat64 {
		cpu = time.Duration(s[0].Value.Float64() * float64(time.Second))
	}
	if s[1].Value.Kind() == metrics.KindUint64 {
		n = s[1].Value.Uint64()
	}
	return cpu, n
}

func heapInUse() uint64 {
	// runtime/metrics, not runtime.ReadMemStats: that stops the world, and a sampler calling it
	// every 10 ms preempted every goroutine of the run it measured a hundred times a second.
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	metrics.Read(s)
	var n uint64
	for _, v := range s {
		if v.Value.Kind() == metrics.KindUint64 {
			n += v.Value.Uint64()
		}
	}
	return n
}

// peaks are the highest heap in use and resident set parts a sampler saw (bytes).
type peaks struct {
	heap, anon, file uint64
}

// rssParts reads the anonymous (heap, stacks) and file-backed (the mapped state file, the
// binary) parts of the resident set from /proc/self/status (Linux; zero elsewhere).
func rssParts() (anon, file uint64) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		for name, dst := range map[string]*uint64{"RssAnon:": &anon, "RssFile:": &file} {
			if v, ok := strings.CutPrefix(line, name); ok {
				kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				*dst = kb << 10
			}
		}
	}
	return anon, file
}

// sampler records the highest heap in use and resident set parts until the returned function
// is called.
func sampler() func() peaks {
	var mu sync.Mutex
	var top peaks
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			h := heapInUse()
			anon, file := rssParts()
			mu.Lock()
			top.heap, top.anon, top.file = max(top.heap, h), max(top.anon, anon), max(top.file, file)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() peaks {
		close(stop)
		<-done
		mu.Lock()
		defer mu.Unlock()
		return top
	}
}

// resetPeakRSS starts the kernel's peak-RSS count (VmHWM) afresh for this process (Linux).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS is the process's peak resident set since the last reset, in MiB (0 where unknown).
func peakRSS() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

// cpuTimeline prints, every 200 ms until stopped, how many of the machine's cores koppel and
// the simulator kept busy, to show where a run leaves a core idle.
func cpuTimeline(sim *simProcess, start time.Time) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		const every = 200 * time.Millisecond
		t := time.NewTicker(every)
		defer t.Stop()
		k0, s0 := cputime.Process(), sim.cpu()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			k1, s1 := cputime.Process(), sim.cpu()
			fmt.Fprintf(os.Stderr, "%6.2fs cores: koppel %.2f, simulator %.2f\n", time.Since(start).Seconds(), float64(k1-k0)/float64(every), float64(s1-s0)/float64(every))
			k0, s0 = k1, s1
		}
	}()
	return func() { close(done); wg.Wait() }
}

func median3(a, b, c time.Duration) time.Duration {
	return max(min(a, b), min(max(a, b), c))
}
