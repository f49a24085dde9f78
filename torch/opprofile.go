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
	// Paths splits the figures by call path, largest self time first: which enclosing calls
	// the operator ran inside. Their Calls, Total and Self add up to the operator's.
	Paths []OpPath
}

// OpPath is an operator's share of a profile under one call path.
type OpPath struct {
	// Path names the calls the operator ran inside, outermost first, joined by " > "
	// ("autograd::engine::evaluate_function: ConvolutionBackward0 > aten::convolution_backward");
	// "" for calls made at top level, directly by scl.
	Path string
	// Calls, Total and Self are as in OpStat, for the calls under this path.
	Calls int64
	Total time.Duration
	Self  time.Duration
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

// parseOpProfile reads the shim's table: one "name\tcalls\ttotal_ns\tself_ns" line per operator
// and one with a fifth field, "\tpath", per operator and call path.
func parseOpProfile(text string) ([]OpStat, error) {
	var stats []OpStat
	index := map[string]int{}
	type pathLine struct {
		line int
		name string
		path OpPath
	}
	var paths []pathLine
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 && len(f) != 5 {
			return nil, fmt.Errorf("StopOpProfile: line %d %q: want 4 or 5 tab-separated fields", i+1, line)
		}
		var n [3]int64
		for j := range n {
			v, err := strconv.ParseInt(f[j+1], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("StopOpProfile: line %d field %d: %w", i+1, j+2, err)
			}
			n[j] = v
		}
		if len(f) == 5 {
			paths = append(paths, pathLine{i + 1, f[0], OpPath{Path: f[4], Calls: n[0], Total: time.Duration(n[1]), Self: time.Duration(n[2])}})
			continue
		}
		index[f[0]] = len(stats)
		stats = append(stats, OpStat{Name: f[0], Calls: n[0], Total: time.Duration(n[1]), Self: time.Duration(n[2])})
	}
	for _, p := range paths {
		i, ok := index[p.name]
		if !ok {
			return nil, fmt.Errorf("StopOpProfile: line %d: a call path of %q, which has no line of its own", p.line, p.name)
		}
		stats[i].Paths = append(stats[i].Paths, p.path)
	}
	for _, s := range stats {
		sort.Slice(s.Paths, func(a, b int) bool {
			if s.Paths[a].Self != s.Paths[b].Self {
				return s.Paths[a].Self > s.Paths[b].Self
			}
			return s.Paths[a].Path < s.Paths[b].Path
		})
	}
	sort.Slice(stats, func(a, b int) bool {
		if stats[a].Self != stats[b].Self {
			return stats[a].Self > stats[b].Self
		}
		return stats[a].Name < stats[b].Name
	})
	return stats, nil
}
