package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/koppel-nl/koppel/store"
)

var update = flag.Bool("update", false, "rewrite the golden help texts in testdata/help")

// silent runs koppel in a pseudo-terminal that never answers anything, as script(1) and many
// SSH and editor terminals are. until, when set, is awaited in the output and then keys are
// typed.
func silent(t *testing.T, c *cli, until, keys string, args ...string) (out []byte, firstFrame, total time.Duration) {
	t.Helper()
	cmd := exec.Command(koppelBin, args...)
	cmd.Dir = c.dir
	cmd.Env = append(c.env, "TERM=xterm-256color", "COLORFGBG=")
	start := time.Now()
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer tty.Close()
	var mu sync.Mutex
	var buf bytes.Buffer
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := tty.Read(b)
			mu.Lock()
			buf.Write(b[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	if until != "" {
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			seen := bytes.Contains(buf.Bytes(), []byte(until))
			mu.Unlock()
			if seen {
				firstFrame = time.Since(start)
				break
			}
			if time.Now().After(deadline) {
				_ = cmd.Process.Kill()
				t.Fatalf("%v: never showed %q", args, until)
			}
			time.Sleep(5 * time.Millisecond)
		}
		_, _ = tty.Write([]byte(keys))
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("%v did not end", args)
	}
	total = time.Since(start)
	time.Sleep(20 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	return append([]byte(nil), buf.Bytes()...), firstFrame, total
}

// Commands that draw no UI never query the terminal and never wait for it; the TUI shows its
// first frame at once.
func TestSilentTerminal(t *testing.T) {
	c := newCLI(t)
	c.run("profile", "import", c.profile("acme", "http://127.0.0.1:9/x", strings.Repeat("a", 64), "compleet", ""))
	for _, args := range [][]string{{"--help"}, {"profile", "list"}, {"runs"}, {"run", "-h"}, {"--version"}, {"connectors"}} {
		out, _, took := silent(t, c, "", "", args...)
		if took > time.Second {
			t.Errorf("%v took %v in a silent terminal", args, took)
		}
		if bytes.IndexByte(out, 0x1b) >= 0 {
			t.Errorf("%v wrote escape bytes: %q", args, out[:min(len(out), 200)])
		}
	}
	out, first, _ := silent(t, c, "acme", "q")
	if first > time.Second {
		t.Errorf("the TUI's first frame took %v in a silent terminal", first)
	}
	if bytes.Contains(out, []byte("\x1b]11;?")) {
		t.Errorf("the TUI asked the terminal for its background colour")
	}
}

// helpPaths are every command, for the golden help texts.
var helpPaths = [][]string{
	{}, {"demo"}, {"afas-sim"}, {"profile"}, {"profile", "import"}, {"profile", "list"}, {"profile", "show"},
	{"profile", "export"}, {"profile", "delete"}, {"verify"}, {"run"}, {"runs"}, {"runs", "show"},
	{"explain"}, {"match"}, {"periods"}, {"columns"}, {"push"}, {"connectors"}, {"store"}, {"store", "check"}, {"store", "backup"}, {"completion"}, {"help"},
}

func goldenName(path []string, lang string) string {
	return filepath.Join("testdata", "help", strings.Join(append([]string{"koppel"}, path...), "-")+"."+lang+".txt")
}

// -h, --help and koppel help CMD print the same help, exit 0, in the UI language; the texts are
// golden (go test ./cmd/koppel -run Help -update rewrites them).
func TestHelpTexts(t *testing.T) {
	c := newCLI(t)
	for _, lang := range []string{"nl", "en"} {
		for _, path := range helpPaths {
			args := append(append([]string{}, path...), "--help", "--lang", lang)
			out, errOut, code := c.run(args...)
			if code != 0 || errOut != "" {
				t.Errorf("%v: exit %d %s", args, code, errOut)
			}
			short, _, code := c.run(append(append([]string{}, path...), "-h", "--lang", lang)...)
			if code != 0 || short != out {
				t.Errorf("%v -h differs from --help (exit %d)", path, code)
			}
			if len(path) > 0 {
				viaHelp, _, code := c.run(append(append([]string{"help"}, path...), "--lang", lang)...)
				if code != 0 || viaHelp != out {
					t.Errorf("koppel help %v differs from --help (exit %d)", path, code)
				}
			}
			golden := goldenName(path, lang)
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test ./cmd/koppel -run Help -update writes it)", err)
			}
			if out != string(want) {
				t.Errorf("%s differs:\n%s", golden, out)
			}
		}
	}
	// Every flag of run is in its help, with its default.
	out, _, _ := c.run("run", "--help", "--lang", "en")
	for _, want := range []string{"--retry-time DURATION", "(default: 1m40s)", "--timeout", "--page-size", "--parallel N", "(default: 4)", "--max-answer-mb", "--max-rows", "--max-run-time", "--coupling", "--dry-run", "--allow-deletes", "--json", "environment: KOPPEL_DB"} {
		if !strings.Contains(out, want) {
			t.Errorf("run --help lacks %q", want)
		}
	}
	out, _, _ = c.run("afas-sim", "--help")
	for _, want := range []string{"--omit", "--unauthorized", "--drop", "--extra", "--rename", "--revision", "--fail-first", "--fault-500", "--fault-503", "--fault-reset", "--fault-garbage", "--slow", "--seed", "--employees", "--addr"} {
		if !strings.Contains(out, want) {
			t.Errorf("afas-sim --help lacks %s", want)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	c := newCLI(t)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"run", "acme", "--bogus"}, 2, "onbekende vlag --bogus voor koppel run"},
		{[]string{"run", "acme", "--bogus", "--lang", "en"}, 2, "unknown flag --bogus for koppel run"},
		{[]string{"run", "--parallel", "many", "acme"}, 2, `--parallel "many": verwacht een geheel getal`},
		{[]string{"run"}, 2, "verwacht één profielnaam"},
		{[]string{"frobnicate"}, 2, `onbekende opdracht "frobnicate"`},
		{[]string{"runz", "--lang", "en"}, 2, "(did you mean run, runs?)"},
		{[]string{"profile"}, 2, "koppel profile: geef een opdracht"},
		{[]string{"profile", "bogus"}, 2, `onbekende opdracht "bogus" voor koppel profile`},
		{[]string{"help", "bogus"}, 2, `geen hulp bij "bogus"`},
		{[]string{"--lang", "fr", "profile", "list"}, 2, `--lang "fr": verwacht nl of en`},
		{[]string{"completion", "tcsh"}, 2, "bash, zsh, fish of powershell"},
	} {
		out, errOut, code := c.run(tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
		if out != "" {
			t.Errorf("%v: stdout %q", tc.args, out)
		}
	}
	// A bad flag shows the command's usage after the message.
	_, errOut, _ := c.run("runs", "show", "x", "--levle", "Uitval")
	if !strings.Contains(errOut, "koppel runs show RUN [vlaggen]") || !strings.Contains(errOut, "--level NIVEAU") {
		t.Errorf("no usage after a bad flag:\n%s", errOut)
	}
	out, _, code := c.run("--version")
	if code != 0 || !strings.HasPrefix(out, "koppel ") {
		t.Errorf("--version: exit %d %q", code, out)
	}
	out, _, code = c.run("completion", "bash")
	if code != 0 || !strings.Contains(out, "__start_koppel") {
		t.Errorf("completion bash: exit %d", code)
	}
	url, token := c.sim("--employees", "5")
	c.run("profile", "import", c.profile("acme", url, token, "compleet", ""))
	out, _, _ = c.run("__complete", "run", "")
	if !strings.Contains(out, "acme") {
		t.Errorf("run does not complete profile names: %q", out)
	}
}

// A mistyped --db is an error; nothing is created for it.
func TestMistypedDB(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{{"profile", "list"}, {"runs"}, {"run", "acme"}, {"store", "check"}} {
		_, errOut, code := c.run(append(args, "--db", "./typo/nested/k.db")...)
		if code != 2 || !strings.Contains(errOut, "typo/nested") {
			t.Errorf("%v: exit %d %s", args, code, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(c.dir, "typo")); err == nil {
		t.Errorf("a mistyped --db created folders")
	}
	// A folder that exists without a store: no profiles, and no store made for asking.
	out, _, code := c.run("profile", "list", "--lang", "en")
	if code != 0 || !strings.Contains(out, "No profiles yet") {
		t.Errorf("list without a store: exit %d %q", code, out)
	}
	if _, err := os.Stat(filepath.Join(c.dir, "koppel.db")); err == nil {
		t.Errorf("profile list created a store")
	}
}

// A profile exported on one machine is imported into the same profile on another.
func TestProfileTravels(t *testing.T) {
	laptop := newCLI(t)
	url, token := laptop.sim("--employees", "10")
	laptop.run("profile", "import", laptop.profile("acme-zorg", url, token, "mutaties", "guard: {max_delete_percent: 25}\n"))
	shown, _, _ := laptop.run("profile", "show", "acme-zorg")
	if !strings.Contains(shown, "gemaskeerd") {
		t.Errorf("show does not say the token is masked:\n%s", shown)
	}
	exported, errOut, code := laptop.run("profile", "export", "acme-zorg")
	if code != 0 || strings.Contains(exported, token[30:60]) || !strings.Contains(exported, "token_env: KOPPEL_TOKEN_ACME_ZORG") || !strings.Contains(exported, "# Het token staat niet in dit bestand") || errOut != "" {
		t.Fatalf("export: exit %d %s\n%s", code, errOut, exported)
	}
	withToken, errOut, code := laptop.run("profile", "export", "acme-zorg", "--with-token", "-o", "acme.yaml")
	if code != 0 || withToken != "" || !strings.Contains(errOut, "AFAS-token") {
		t.Errorf("export --with-token: exit %d %q", code, errOut)
	}
	if fi, err := os.Stat(filepath.Join(laptop.dir, "acme.yaml")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the exported file with its token is not private: %v", err)
	}

	// The scheduler host: another store, another folder.
	host := newCLI(t)
	file := filepath.Join(host.dir, "acme-zorg.yaml")
	if err := os.WriteFile(file, []byte(exported), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = host.run("profile", "import", file)
	if code != 2 || !strings.Contains(errOut, "KOPPEL_TOKEN_ACME_ZORG") {
		t.Errorf("import without the token's variable: exit %d %s", code, errOut)
	}
	host.env = append(host.env, "KOPPEL_TOKEN_ACME_ZORG="+token)
	if out, errOut, code := host.run("profile", "import", file); code != 0 {
		t.Fatalf("import on the host: exit %d %s%s", code, out, errOut)
	}
	a, _, _ := laptop.run("profile", "export", "acme-zorg", "--with-token")
	b, _, _ := host.run("profile", "export", "acme-zorg", "--with-token")
	if a != b {
		t.Errorf("the imported profile differs:\n%s\n---\n%s", a, b)
	}
	if _, errOut, code := host.run("run", "acme-zorg"); code != 0 {
		t.Errorf("run on the host: exit %d %s", code, errOut)
	}
	// What profile show prints is not a profile to import: it says why.
	masked := filepath.Join(host.dir, "shown.yaml")
	_ = os.WriteFile(masked, []byte(shown), 0o600)
	if _, errOut, code := host.run("profile", "import", masked, "--yes"); code != 2 || !strings.Contains(errOut, "gemaskeerde token") {
		t.Errorf("import of a masked token: exit %d %s", code, errOut)
	}
}

// Outbox paths are absolute, resolved against the profile file's folder; an unusable outbox is
// refused where it is entered, and a run that meets one later is on record.
func TestOutboxRules(t *testing.T) {
	c := newCLI(t)
	url, token := c.sim("--employees", "10")
	path := c.profile("acme", url, token, "compleet", "")
	// Imported from another folder: the outbox is still beside the file.
	other := t.TempDir()
	cmd := exec.Command(koppelBin, "profile", "import", path, "--json")
	cmd.Dir, cmd.Env = other, c.env
	out, err := cmd.Output()
	if err != nil || !strings.Contains(string(out), `"outbox":"`+filepath.Join(c.dir, "outbox")+`"`) {
		t.Fatalf("import from another folder: %v %s", err, out)
	}
	// An outbox that is a file is refused at import.
	if err := os.WriteFile(filepath.Join(c.dir, "o.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := c.profile("bad", url, token, "compleet", "")
	raw, _ := os.ReadFile(bad)
	_ = os.WriteFile(bad, bytes.Replace(raw, []byte("outbox: ./outbox"), []byte("outbox: ./o.txt/badout"), 1), 0o600)
	_, errOut, code := c.run("profile", "import", bad)
	if code != 2 || !strings.Contains(errOut, "delivery.outbox") || !strings.Contains(errOut, "o.txt is een bestand, geen map") {
		t.Errorf("import with a file as outbox: exit %d %s", code, errOut)
	}
	// The outbox becomes a file after the import: verify says so, and the run fails on record.
	if err := os.WriteFile(filepath.Join(c.dir, "outbox"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	out2, _, code := c.run("verify", "acme")
	if code != 1 || !strings.Contains(out2, "is een bestand, geen map") {
		t.Errorf("verify with a file as outbox: exit %d\n%s", code, out2)
	}
	jsonOut, errOut, code := c.run("run", "acme", "--json")
	sum := lastJSON(t, jsonOut)
	if code != 1 || sum["event"] != "summary" || sum["status"] != "failed" || !strings.Contains(errOut, "is een bestand, geen map") {
		t.Errorf("run with a file as outbox: exit %d %v\n%s", code, sum, errOut)
	}
	runs, _, _ := c.run("runs", "acme", "--json")
	if !strings.Contains(runs, `"status":"failed"`) || !strings.Contains(runs, sum["run"].(string)) {
		t.Errorf("the failed run is not in the history: %s", runs)
	}
}

// A run that cannot reach AFAS is in the history with its error.
func TestUnreachableRunIsRecorded(t *testing.T) {
	c := newCLI(t)
	c.run("profile", "import", c.profile("acme", "http://127.0.0.1:9/ProfitServices/AppConnectorGet.asmx", strings.Repeat("ab", 32), "compleet", ""))
	out, errOut, code := c.run("run", "acme", "--json", "--retry-time", "1s", "--lang", "en")
	sum := lastJSON(t, out)
	if code != 1 || sum["status"] != "failed" || !strings.Contains(errOut, "connection failed") {
		t.Errorf("exit %d %v %s", code, sum, errOut)
	}
	text, _, _ := c.run("runs", "show", sum["run"].(string))
	if !strings.Contains(text, "mislukt") {
		t.Errorf("runs show of the failed run:\n%s", text)
	}
}

func TestDestructiveCommandsAsk(t *testing.T) {
	c := newCLI(t)
	url, token := c.sim("--employees", "10")
	c.run("profile", "import", c.profile("acme", url, token, "compleet", ""))
	c.run("run", "acme")
	_, errOut, code := c.run("profile", "delete", "acme")
	if code != 2 || !strings.Contains(errOut, "1 run met logboek") || !strings.Contains(errOut, "--yes") || !strings.Contains(errOut, "blijft staan") {
		t.Errorf("delete without a terminal: exit %d %s", code, errOut)
	}
	if out, _, _ := c.run("profile", "list"); !strings.Contains(out, "acme") {
		t.Fatalf("delete without --yes deleted")
	}
	// Asked on a terminal: no is no.
	cmd := exec.Command(koppelBin, "profile", "delete", "acme")
	cmd.Dir, cmd.Env = c.dir, c.env
	tty, err := pty.Start(cmd)
	if err == nil {
		go func() { _, _ = io.Copy(io.Discard, tty) }()
		time.Sleep(300 * time.Millisecond)
		_, _ = tty.Write([]byte("n\n"))
		if err := cmd.Wait(); err == nil {
			t.Errorf("answering n succeeded")
		}
		tty.Close()
		if out, _, _ := c.run("profile", "list"); !strings.Contains(out, "acme") {
			t.Fatalf("answering n deleted")
		}
	}
	out, errOut, code := c.run("profile", "delete", "acme", "--yes", "--lang", "en")
	if code != 0 || !strings.Contains(out, "1 run and") || !strings.Contains(out, "left alone") {
		t.Errorf("delete --yes: exit %d %s%s", code, out, errOut)
	}
	if entries, err := os.ReadDir(filepath.Join(c.dir, "outbox", "acme")); err != nil || len(entries) != 1 {
		t.Errorf("the outbox was touched: %v %v", entries, err)
	}
}

func TestStoreCheckAndBackup(t *testing.T) {
	c := newCLI(t)
	if _, errOut, code := c.run("store", "check"); code != 2 || !strings.Contains(errOut, "nog geen opslag") {
		t.Errorf("check without a store: exit %d %s", code, errOut)
	}
	c.run("profile", "import", c.profile("acme", "http://127.0.0.1:9/x", strings.Repeat("ab", 32), "compleet", ""))
	if out, _, code := c.run("store", "check"); code != 0 || !strings.Contains(out, "in orde") {
		t.Errorf("check: exit %d %s", code, out)
	}
	backup := filepath.Join(c.dir, "backup.tar")
	if out, errOut, code := c.run("store", "backup", backup); code != 0 || !strings.Contains(out, "koppel.db.key") {
		t.Errorf("backup: exit %d %s%s", code, out, errOut)
	}
	if fi, err := os.Stat(backup); err != nil || fi.Size() == 0 || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup file: %v", err)
	}
	// A customer whose run is in progress is reported, not copied; the others are saved.
	c.run("profile", "import", c.profile("beta", "http://127.0.0.1:9/x", strings.Repeat("ab", 32), "compleet", ""))
	s, err := store.Open(filepath.Join(c.dir, "koppel.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RecordRun(&store.Run{ID: "run-beta", Profile: "beta", Status: "ok"}, nil, nil); err != nil {
		t.Fatal(err)
	}
	held, err := s.Hold("acme")
	if err != nil {
		t.Fatal(err)
	}
	partial := filepath.Join(c.dir, "partial.tar")
	out, errOut, code := c.run("store", "backup", partial, "--lang", "en")
	if code != 1 || !strings.Contains(errOut, "acme") || strings.Contains(errOut, "beta") || !strings.Contains(out, "partial.tar") {
		t.Errorf("backup with acme running: exit %d %s%s", code, out, errOut)
	}
	if got := tarNames(t, partial); !slices.Contains(got, "koppel.db.d/beta.db") || slices.Contains(got, "koppel.db.d/acme.db") {
		t.Errorf("backup with acme running holds %v", got)
	}
	_ = held.Close()
	s.Close()
	// A damaged catalog: every command says so, exit 1, never a panic.
	db := filepath.Join(c.dir, "koppel.db")
	raw, _ := os.ReadFile(db)
	for i := 0; i < 8192 && i < len(raw); i++ {
		raw[i] = 0xff
	}
	_ = os.WriteFile(db, raw, 0o600)
	for _, args := range [][]string{{"store", "check"}, {"profile", "list"}, {"run", "acme"}, {"runs"}, {"profile", "show", "acme", "--lang", "en"}} {
		_, errOut, code := c.run(args...)
		if code != 1 || !(strings.Contains(errOut, "is beschadigd") || strings.Contains(errOut, "is damaged")) || strings.Contains(errOut, "panic") {
			t.Errorf("%v on a damaged store: exit %d %s", args, code, errOut)
		}
	}
	// A missing key file.
	k := newCLI(t)
	k.run("profile", "import", k.profile("acme", "http://127.0.0.1:9/x", strings.Repeat("ab", 32), "compleet", ""))
	_ = os.Remove(filepath.Join(k.dir, "koppel.db.key"))
	for _, args := range [][]string{{"profile", "list"}, {"run", "acme"}, {"store", "check"}} {
		_, errOut, code := k.run(args...)
		if code != 1 || !strings.Contains(errOut, "sleutelbestand") {
			t.Errorf("%v without the key file: exit %d %s", args, code, errOut)
		}
	}
}

// statusWords are each language's status vocabulary; output in one language has none of the
// other's.
var statusWords = map[string]*regexp.Regexp{
	"nl": regexp.MustCompile(`(?i)\b(mislukt|geblokkeerd|voorbeeld|uitval|waarschuwing|melding|geleverd|gelezen|gewijzigd|ongewijzigd|verwijderd|nieuw|proefrun|afgebroken)\b`),
	"en": regexp.MustCompile(`(?i)\b(failed|blocked|preview|rejected|warning|notice|delivered|fetched|changed|unchanged|deleted|new|dry run|cancelled)\b`),
}

func TestOneLanguageAtATime(t *testing.T) {
	c := newCLI(t)
	url, token := c.sim("--employees", "40")
	for _, lang := range []string{"nl", "en"} {
		other := map[string]string{"nl": "en", "en": "nl"}[lang]
		var all strings.Builder
		say := func(args ...string) string {
			out, errOut, _ := c.run(append(args, "--lang", lang)...)
			all.WriteString(strings.Join(args, " ") + "\n" + out + errOut)
			return out
		}
		name := "p-" + lang
		path := c.profile(name, url, token, "mutaties", "")
		say("profile", "import", path)
		say("profile", "import", path)
		say("profile", "import", path, "--yes")
		say("profile", "list")
		say("profile", "show", name)
		say("profile", "export", name, "--with-token")
		say("verify", name)
		say("connectors")
		say("run", name, "--dry-run")
		say("run", name)
		say("run", "nobody")
		say("run", name, "--frobnicate")
		say("runs")
		runs, _, _ := c.run("runs", name, "--json")
		for _, line := range strings.Split(strings.TrimSpace(runs), "\n") {
			var r map[string]any
			if json.Unmarshal([]byte(line), &r) == nil {
				say("runs", "show", r["run"].(string))
			}
		}
		// A failed run, on record.
		bad := c.profile(name+"-x", url, token, "compleet", "")
		raw, _ := os.ReadFile(bad)
		_ = os.WriteFile(bad, bytes.Replace(raw, []byte("outbox: ./outbox"), []byte("outbox: ./box-"+lang), 1), 0o600)
		say("profile", "import", bad)
		_ = os.WriteFile(filepath.Join(c.dir, "box-"+lang), []byte("x"), 0o600)
		say("run", name+"-x")
		say("runs", name+"-x")
		say("store", "check")
		say("store", "backup", filepath.Join(c.dir, "b-"+lang+".tar"))
		say("profile", "delete", name+"-x")
		say("profile", "delete", name+"-x", "--yes")
		say("frobnicate")
		for _, path := range helpPaths {
			say(append(append([]string{}, path...), "--help")...)
		}
		if m := statusWords[other].FindAllString(all.String(), -1); len(m) > 0 {
			t.Errorf("%s output has %s words: %v", lang, other, m)
			for _, line := range strings.Split(all.String(), "\n") {
				if statusWords[other].MatchString(line) {
					t.Logf("  %s", line)
				}
			}
		}
		if !statusWords[lang].MatchString(all.String()) {
			t.Errorf("%s output has none of its own status words: the test proves nothing", lang)
		}
	}
	// No null where a list is meant.
	runs, _, _ := c.run("runs", "--json")
	id := regexp.MustCompile(`"run":"([^"]+)"`).FindStringSubmatch(runs)[1]
	for _, args := range [][]string{{"runs", "show", id, "--json"}, {"runs", "--json"}, {"profile", "list", "--json"}, {"connectors", "--json"}} {
		out, _, _ := c.run(args...)
		if strings.Contains(out, "null") {
			t.Errorf("%v has null: %.300s", args, out)
		}
	}
}

// tarNames lists the entries of a tar file.
func tarNames(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	tr := tar.NewReader(f)
	for {
		hd, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hd.Name)
	}
}
