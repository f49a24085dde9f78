//go:build !notorch && !linux

package torch

// KeepAllocations is a no-op outside Linux (glibc): see malloc_glibc.go.
func KeepAllocations() bool { return false }
