package tui

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/koppel-nl/koppel/sync/mapping"
)

// cut shortens s to n printed characters, marking the cut with "…". Text that must be readable
// in full has another way to it on the same screen (enter opens it, or it wraps).
func cut(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if lipgloss.Width(s) <= n {
		return s
	}
	if n == 1 {
		return "…"
	}
	// MaxWidth truncates by printed width and keeps escape sequences whole.
	return lipgloss.NewStyle().MaxWidth(n-1).Render(s) + "…"
}

// cutMiddle shortens s to n printed characters by leaving out its middle: for paths, whose start
// says where and whose end says which.
func cutMiddle(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n < 5 {
		return cut(s, n)
	}
	tail := (n - 1) * 3 / 5
	head := n - 1 - tail
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

// shortPath shows a path in n characters: the home folder as ~, the middle left out at folder
// boundaries where it can be (~/.local/…/outbox/demo/RUN).
func shortPath(p string, n int) string {
	if home, err := os.UserHomeDir(); err == nil && home != "" && home != "/" && strings.HasPrefix(p, home+string(filepath.Separator)) {
		p = "~" + p[len(home):]
	}
	if len([]rune(p)) <= n {
		return p
	}
	parts := strings.Split(p, string(filepath.Separator))
	// Keep as many leading and trailing parts as fit, trailing first (the run, the profile).
	for keepHead := 2; keepHead >= 1; keepHead-- {
		for tail := len(parts) - keepHead - 1; tail >= 1; tail-- {
			if keepHead+tail >= len(parts) {
				continue
			}
			cand := strings.Join(parts[:keepHead], "/") + "/…/" + strings.Join(parts[len(parts)-tail:], "/")
			if len([]rune(cand)) <= n {
				return cand
			}
		}
	}
	return cutMiddle(p, n)
}

// wrap breaks a text over lines of width, at spaces where it can, inside long words where it must
// (paths, keys): nothing is lost.
func wrap(s string, width int) string {
	if width < 8 {
		width = 8
	}
	var out []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			for len([]rune(word)) > width {
				room := width
				if line != "" {
					room = width - len([]rune(line)) - 1
					if room < 8 {
						out = append(out, line)
						line, room = "", width
					}
				}
				// Break a path after a folder where one is near the end of the room.
				r := []rune(word)
				if i := strings.LastIndex(string(r[:room]), "/"); i >= 0 && len([]rune(string(r[:room])[:i])) >= room/2 {
					room = len([]rune(string(r[:room])[:i])) + 1
				}
				head := string(r[:room])
				if line != "" {
					head = line + " " + head
				}
				out = append(out, head)
				line = ""
				word = string(r[room:])
			}
			if line != "" && lipgloss.Width(line)+1+lipgloss.Width(word) > width {
				out = append(out, line)
				line = word
				continue
			}
			if line != "" {
				line += " "
			}
			line += word
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// indent wraps s to width and indents every line but the first by pad spaces.
func hang(s string, width, pad int) string {
	lines := strings.Split(wrap(s, width-pad), "\n")
	for i := 1; i < len(lines); i++ {
		lines[i] = strings.Repeat(" ", pad) + lines[i]
	}
	return strings.Join(lines, "\n")
}

func joinLines(lines []string) string { return strings.Join(lines, "\n") }

func lineCount(s string) int { return strings.Count(s, "\n") + 1 }

// firstLines is the first n lines of s (each with its line end), nothing for n <= 0.
func firstLines(s string, n int) string {
	end := 0
	for i := 0; i < n; i++ {
		j := strings.IndexByte(s[end:], '\n')
		if j < 0 {
			return s
		}
		end += j + 1
	}
	return s[:end]
}

// displayKey renders a record key for people (ZBV/100024/1).
func displayKey(k string) string { return mapping.DisplayKey(k) }

// pad fills s with spaces to n printed characters (cut when longer).
func pad(s string, n int) string {
	s = cut(s, n)
	if w := lipgloss.Width(s); w < n {
		s += strings.Repeat(" ", n-w)
	}
	return s
}

// padLeft right-aligns s in n printed characters.
func padLeft(s string, n int) string {
	if w := lipgloss.Width(s); w < n {
		s = strings.Repeat(" ", n-w) + s
	}
	return s
}
