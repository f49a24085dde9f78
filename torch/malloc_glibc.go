//go:build !notorch && linux

package torch

/*
#include <malloc.h>

// scl_keep_allocations raises glibc's mmap and trim thresholds and, when arena_max > 0, caps
// the number of malloc arenas: see KeepAllocations.
static int scl_keep_allocations(int mmap_threshold, int trim_threshold, int arena_max) {
#if defined(__GLIBC__)
	if (arena_max > 0 && mallopt(M_ARENA_MAX, arena_max) != 1) {
		return 0;
	}
	return mallopt(M_MMAP_THRESHOLD, mmap_threshold) == 1 && mallopt(M_TRIM_THRESHOLD, trim_threshold) == 1;
#else
	return 0;
#endif
}
*/
import "C"

import (
	"os"
	"strings"
	"sync"
)

// Allocation thresholds of KeepAllocations: glibc's largest mmap threshold on 64-bit systems
// (HEAP_MAX_SIZE/2), a trim threshold of 256 MiB, and at most eight arenas.
const (
	keepMmapThreshold = 32 << 20
	keepTrimThreshold = 256 << 20
	keepArenaMax      = 8
)

var keepOnce sync.Once

// KeepAllocations tells glibc's malloc, which libtorch's CPU allocator uses, to serve buffers
// of up to 32 MiB from its heap and to keep up to 256 MiB of freed memory instead of returning
// it to the kernel. By default glibc maps each large buffer (a training step's activations)
// with mmap and unmaps it when freed, so every step faults in and zeroes the same pages again:
// on the 2-core development machine that was a fifth of the training process's CPU time
// (system time), and raising the thresholds made the step 11–15% faster at the same peak RSS.
//
// It also caps glibc at eight malloc arenas (unless MALLOC_ARENA_MAX is set), so call it early.
// glibc gives each thread that allocates an arena of its own, up to 8 per core, and each arena
// keeps its own freed memory; libtorch's intra-op threads allocate too, so the retained memory,
// and with it the peak RSS, varies from run to run with how many arenas the threads spread
// over. An earlier cap of one arena made the peak RSS steadier (width 64, fp32, the bench/train
// step: 1.29–1.77 GB with glibc's default, 1.33–1.61 GB with one arena) but cost speed, the
// threads then sharing one arena's lock being the likely reason: six alternating runs of that
// step gave 21.8 images/s with one arena against 23.5 with eight (medians; eight faster in five
// of the six pairs) at a peak RSS of 1.26–1.39 against 1.27–1.43 GB, both below PyTorch's
// 1.7–1.8 GB on the same step (bench/results/train-arena-ab.log). Go's own memory does not come
// from malloc.
//
// It does nothing without glibc, when the user tunes malloc already (GLIBC_TUNABLES,
// MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_), or after the first call; it reports whether
// the thresholds are in place.
func KeepAllocations() bool {
	keepOnce.Do(func() {
		if strings.Contains(os.Getenv("GLIBC_TUNABLES"), "glibc.malloc.") ||
			os.Getenv("MALLOC_MMAP_THRESHOLD_") != "" || os.Getenv("MALLOC_TRIM_THRESHOLD_") != "" {
			return
		}
		arenas := keepArenaMax
		if os.Getenv("MALLOC_ARENA_MAX") != "" {
			arenas = 0 // the user's
		}
		keepOK = C.scl_keep_allocations(C.int(keepMmapThreshold), C.int(keepTrimThreshold), C.int(arenas)) == 1
	})
	return keepOK
}

var keepOK bool
