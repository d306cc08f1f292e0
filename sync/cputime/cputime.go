// Package cputime reads the CPU time a process has used, for benchmarks that report CPU beside
// wall time (on a shared machine wall time is noisy; CPU time much less so).
package cputime
