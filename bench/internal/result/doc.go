// Package result is how the benchmark programs report a figure against its target: a
// human-readable line, a machine-readable RESULT line that scripts/bench.sh collects into
// bench/results.md, and a non-zero exit when any target was missed.
package result
