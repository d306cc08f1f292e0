package columns

// Width is the number of the file's columns.
func (l *Layout) Width() int { return len(l.src) }

// Source tells how the file's column i is filled: with koppel's column col, or, when col is
// below 0, with fixed. A writer that holds the values in another form than strings (the stored
// bytes) fills a row with it as Row does.
func (l *Layout) Source(i int) (col int, fixed string) { return l.src[i], l.fixed[i] }
