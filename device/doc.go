// Package device is the one definition of a --device value: a typed spec ([Spec]) read by
// [Parse] ("auto", "cpu", "cuda", "cuda:N") and turned into a concrete device by
// [Spec.Resolve], which maps "auto" to CUDA when a probe says a GPU is there.
//
// It is pure Go: the probe (libtorch's device count, for instance) is passed in by the
// caller, so training, inference and the command line share the parsing and the "auto"
// rule without this package linking a GPU library.
package device
