package train

import (
	"strings"
	"testing"
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
	for _, dev := range []string{"cuda", "cuda:1"} {
		if p, _ := AutoPrecision(dev, false); p != FP32 {
			t.Errorf("device %s: got %v, want fp32", dev, p)
		}
	}
	if p, _ := AutoPrecision("auto", true); p != FP32 {
		t.Errorf("device auto with CUDA visible: got %v, want fp32", p)
	}
}
