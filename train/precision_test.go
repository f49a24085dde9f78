package train

import (
	"strings"
	"testing"

	"github.com/scl-dev/scl/device"
)

func TestNativeBF16(t *testing.T) {
	tests := []struct {
		name, cpuinfo, want string
	}{
		{"zen4", "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16 avx512_vnni\nbugs\t\t: sysret_ss_attrs\n", "avx512_bf16"},
		{"sapphire rapids", "flags\t: fpu avx512f amx_bf16 amx_tile amx_int8\n", "amx_bf16"},
		{"avx-512 without bf16", "flags\t: fpu avx2 avx512f avx512bw avx512_vnni\n", ""},
		{"bf16 in another field", "model name\t: avx512_bf16 lookalike\nflags\t: fpu avx2\n", ""},
		{"arm", "Features\t: fp asimd bf16\n", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nativeBF16(strings.NewReader(tt.cpuinfo)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAutoPrecisionCUDA(t *testing.T) {
	oneGPU := func() int { return 1 }
	for _, dev := range []device.Spec{device.CUDASpec(0), device.CUDASpec(1)} {
		if p, _ := AutoPrecision(dev, nil); p != FP32 {
			t.Errorf("device %s: got %v, want fp32", dev, p)
		}
	}
	if p, _ := AutoPrecision(device.Spec{Kind: device.Auto}, oneGPU); p != FP32 {
		t.Errorf("device auto with a GPU visible: got %v, want fp32", p)
	}
	// Without a GPU, auto is the CPU: the same choice as an explicit cpu.
	pa, _ := AutoPrecision(device.Spec{Kind: device.Auto}, nil)
	pc, _ := AutoPrecision(device.CPUSpec, oneGPU)
	if pa != pc {
		t.Errorf("auto without a GPU gave %v, cpu %v: want the same", pa, pc)
	}
}
