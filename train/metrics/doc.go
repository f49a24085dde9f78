// Package metrics records a training run as JSON Lines (one [Record] per line) and renders
// the curves to PNG with gonum/plot.
//
// The file is append-only while training: each record is written with a single write call
// and a trailing newline, so a process killed mid-run leaves at most one torn last line,
// which [Read] ignores. On resume the trainer calls [Truncate] to drop records logged after
// the checkpoint it resumes from, so the file describes the resumed run exactly once.
//
// Pure Go, no native dependency. A [Writer] is not safe for concurrent use.
package metrics
