// Package schedule holds the step-indexed schedules of the ReLIC trainer (SPEC §4): the
// cosine decay of the confidence-penalty exponent γ and the EMA target coefficient β.
//
// Both are pure functions of the 0-based optimizer step k (the step counter before it is
// incremented), so a resumed run recomputes exactly the values an uninterrupted run would
// have used. The package is pure Go, has no native dependency and is safe for concurrent use
// (all types are immutable values).
package schedule
