package infer

import (
	"math"
	"strings"
	"testing"

	"github.com/scl-dev/scl/infer/internal/onnxtest"
)

func TestSessionMatchesReference(t *testing.T) {
	requireRuntime(t)
	m := onnxtest.Model{Channels: 3, Height: 8, Width: 6, Dim: 5, Seed: 1}
	s, err := OpenSession(writeModel(t, m), SessionConfig{Device: Device{Kind: DeviceCPU}, IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, want := s.InputShape(), [3]int{3, 8, 6}; got != want {
		t.Fatalf("input shape: got %v, want %v", got, want)
	}
	if got, want := s.Dim(), 5; got != want {
		t.Fatalf("dim: got %v, want %v", got, want)
	}
	if got, want := s.Provider(), ProviderCPU; got != want {
		t.Fatalf("provider: got %v, want %v", got, want)
	}
	for _, n := range []int{1, 4} {
		per := 3 * 8 * 6
		x := randomInput(uint64(n), n*per)
		dst := make([]float32, n*5)
		if err := s.RunTo(dst, x, n, 0, 0); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			want := m.Forward(x[i*per : (i+1)*per])
			for j, w := range want {
				// float32 accumulation in ORT against float64 here: 1e-5 relative covers
				// 54-term dot products of unit-scale values.
				if g := dst[i*5+j]; math.Abs(float64(g-w)) > 1e-5*(1+math.Abs(float64(w))) {
					t.Errorf("batch %d image %d feature %d: got %v, want %v", n, i, j, g, w)
				}
			}
		}
	}
}

func TestSessionErrors(t *testing.T) {
	requireRuntime(t)
	m := onnxtest.Model{Channels: 1, Height: 4, Width: 4, Dim: 2, Seed: 2}
	path := writeModel(t, m)
	s, err := OpenSession(path, SessionConfig{Device: Device{Kind: DeviceCPU}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		dst, x  []float32
		n       int
		wantErr string
	}{
		{"zero batch", make([]float32, 2), make([]float32, 16), 0, "batch size 0"},
		{"short input", make([]float32, 2), make([]float32, 15), 1, "input has 15 values, want 16"},
		{"short output", make([]float32, 1), make([]float32, 16), 1, "output buffer has 1 values, want 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.RunTo(tc.dst, tc.x, tc.n, 0, 0)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
	before := LiveSessions()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second close: got %v, want nil", err)
	}
	if got, want := LiveSessions(), before-1; got != want {
		t.Fatalf("live sessions: got %v, want %v", got, want)
	}
	if err := s.RunTo(make([]float32, 2), make([]float32, 16), 1, 0, 0); err != ErrClosed {
		t.Fatalf("run after close: got %v, want %v", err, ErrClosed)
	}
	if _, err := OpenSession(path, SessionConfig{Device: Device{Kind: DeviceCPU}, Input: "nope"}); err == nil || !strings.Contains(err.Error(), `no input named "nope"`) {
		t.Fatalf("bad input name: got %v", err)
	}
}

func TestDeviceFallback(t *testing.T) {
	requireRuntime(t)
	path := writeModel(t, onnxtest.Model{Channels: 1, Height: 4, Width: 4, Dim: 2, Seed: 3})
	var warnings []string
	s, err := OpenSession(path, SessionConfig{Device: Device{Kind: DeviceAuto}, Warn: func(m string) { warnings = append(warnings, m) }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Provider() == ProviderCUDA {
		t.Skip("CUDA provider available: the CPU fallback cannot be exercised on this machine")
	}
	if got, want := len(warnings), 1; got != want {
		t.Fatalf("warnings: got %v (%q), want %v", got, warnings, want)
	}
	if !strings.Contains(warnings[0], "CUDA unavailable, running on the CPU") {
		t.Fatalf("warning: got %q, want the CPU fallback message", warnings[0])
	}
	_, err = OpenSession(path, SessionConfig{Device: Device{Kind: DeviceCUDA, Index: 1}})
	if err == nil {
		t.Fatal("device cuda:1 without a CUDA provider: got nil error, want ORT's reason")
	}
	if !strings.Contains(err.Error(), "device cuda:1 requested but the CUDA execution provider failed") {
		t.Fatalf("cuda error: got %q", err)
	}
	t.Logf("cuda error as users see it: %v", err)
}
