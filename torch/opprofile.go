//go:build !notorch

package torch

// #include <stdlib.h>
// #include "shim.h"
import "C"

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// OpStat is one operator's share of an operator profile (StartOpProfile).
type OpStat struct {
	// Name is libtorch's name for the call: a dispatcher operator ("aten::convolution") or an
	// autograd node of the backward pass ("ConvolutionBackward0").
	Name string
	// Calls counts the calls that finished while the profiler ran.
	Calls int64
	// Total is their wall time, including the operators they called.
	Total time.Duration
	// Self is Total without the time of the operators they called: the self times of a
	// profile add up to the wall time its threads spent inside libtorch operators.
	Self time.Duration
}

// StartOpProfile starts timing every libtorch operator and backward-pass node, on every thread,
// until StopOpProfile; it fails when a profile is already running. The hooks cost a few hundred
// nanoseconds per operator, small against a training step's kernels but not nothing: time the
// phases of a step (train.StepProfile) without it.
func StartOpProfile() error {
	var cerr *C.char
	C.scl_op_profile_start(&cerr)
	return takeError("StartOpProfile", cerr)
}

// StopOpProfile stops the profile StartOpProfile started and returns it, one OpStat per
// operator name, largest self time first (ties by name).
func StopOpProfile() ([]OpStat, error) {
	var cerr *C.char
	table := C.scl_op_profile_stop(&cerr)
	if err := takeError("StopOpProfile", cerr); err != nil {
		return nil, err
	}
	text := C.GoString(table)
	C.free(unsafe.Pointer(table))
	return parseOpProfile(text)
}

// parseOpProfile reads the shim's table: one "name\tcalls\ttotal_ns\tself_ns" line per operator.
func parseOpProfile(text string) ([]OpStat, error) {
	var stats []OpStat
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			return nil, fmt.Errorf("StopOpProfile: line %d %q: want 4 tab-separated fields", i+1, line)
		}
		var n [3]int64
		for j := range n {
			v, err := strconv.ParseInt(f[j+1], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("StopOpProfile: line %d field %d: %w", i+1, j+2, err)
			}
			n[j] = v
		}
		stats = append(stats, OpStat{Name: f[0], Calls: n[0], Total: time.Duration(n[1]), Self: time.Duration(n[2])})
	}
	sort.Slice(stats, func(a, b int) bool {
		if stats[a].Self != stats[b].Self {
			return stats[a].Self > stats[b].Self
		}
		return stats[a].Name < stats[b].Name
	})
	return stats, nil
}
