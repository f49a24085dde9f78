// Package multicrop says which (online view, target view) pairs the ReLIC loss scores
// (SPEC §2) and how a batch is cut into mini-batch slices (SPEC §5). It is pure Go, has no
// native dependency, and its functions are safe for concurrent use.
package multicrop
