package train

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/scl-dev/scl/device"
)

// AutoPrecision is the precision `scl train` uses when none is asked for, with the reason (for
// the start-up message): bf16 on a CPU device whose processor has native bfloat16 arithmetic
// (AVX-512 BF16 or AMX-BF16 in /proc/cpuinfo; there bf16 runs about twice as fast as fp32 with
// the loss curve and probe of fp32, see bench/train/README.md), fp32 everywhere else (other
// CPUs, where bf16 is emulated and slower, CUDA, and devices that cannot be told apart).
// dev is resolved with cudaDevices (nil: no GPU); a CUDA spec counts as CUDA even when the
// device is missing (the trainer reports that).
func AutoPrecision(dev device.Spec, cudaDevices device.Probe) (Precision, string) {
	if dev.Kind == device.CUDA || dev.IsCUDA(cudaDevices) {
		return FP32, "fp32 on CUDA unless --precision says otherwise"
	}
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return FP32, fmt.Sprintf("fp32: cannot read the CPU's features (%v)", err)
	}
	defer f.Close()
	if flag := nativeBF16(f); flag != "" {
		return BF16, fmt.Sprintf("bf16: the CPU has native bfloat16 (%s); --precision fp32 for float32", flag)
	}
	return FP32, "fp32: the CPU has no native bfloat16 (no avx512_bf16 or amx_bf16 in /proc/cpuinfo)"
}

// nativeBF16 returns the first /proc/cpuinfo flag of r saying the CPU computes in bfloat16
// natively ("avx512_bf16" or "amx_bf16"), or "".
func nativeBF16(r io.Reader) string {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || strings.TrimSpace(key) != "flags" {
			continue
		}
		for _, fl := range strings.Fields(val) {
			if fl == "avx512_bf16" || fl == "amx_bf16" {
				return fl
			}
		}
		return "" // every processor lists the same flags
	}
	return ""
}
