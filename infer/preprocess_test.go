package infer

import (
	"math"
	"strings"
	"testing"

	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/infer/internal/onnxtest"
)

func TestPreprocessFor(t *testing.T) {
	requireRuntime(t)
	tests := []struct {
		name    string
		meta    map[string]string
		o       Overrides
		want    Preprocess
		wantErr string
	}{
		{"defaults", nil, Overrides{}, Preprocess{Height: 4, Width: 4, Channels: 3, Mean: []float32{0, 0, 0}, Std: []float32{1, 1, 1}, Order: "RGB"}, ""},
		{"metadata", map[string]string{MetaMean: "0.1,0.2,0.3", MetaStd: "[0.5,0.5,0.25]", MetaChannelOrder: "bgr", MetaImageSize: "4", MetaFeatureDim: "2"}, Overrides{},
			Preprocess{Height: 4, Width: 4, Channels: 3, Mean: []float32{0.1, 0.2, 0.3}, Std: []float32{0.5, 0.5, 0.25}, Order: "BGR"}, ""},
		{"overrides win", map[string]string{MetaMean: "0.1,0.2,0.3", MetaChannelOrder: "BGR"}, Overrides{Mean: []float32{0.5}, Order: "rgb"},
			Preprocess{Height: 4, Width: 4, Channels: 3, Mean: []float32{0.5, 0.5, 0.5}, Std: []float32{1, 1, 1}, Order: "RGB"}, ""},
		{"size disagrees", map[string]string{MetaImageSize: "5"}, Overrides{}, Preprocess{}, "disagrees with its input shape"},
		{"feature dim disagrees", map[string]string{MetaFeatureDim: "3"}, Overrides{}, Preprocess{}, "want 2 (the output's dimension)"},
		{"bad mean", map[string]string{MetaMean: "a,b"}, Overrides{}, Preprocess{}, "metadata mean"},
		{"wrong count", nil, Overrides{Std: []float32{1, 2}}, Preprocess{}, "want 3 values each"},
		{"zero std", nil, Overrides{Std: []float32{0}}, Preprocess{}, "want every value > 0"},
		{"fixed size override", nil, Overrides{ImageSize: 8}, Preprocess{}, "fixed at 4×4"},
		{"grey order for rgb", nil, Overrides{Order: "L"}, Preprocess{}, "want RGB or BGR for 3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := onnxtest.Model{Channels: 3, Height: 4, Width: 4, Dim: 2, Seed: 1, Metadata: tc.meta}
			s, err := OpenSession(writeModel(t, m), SessionConfig{Device: Device{Kind: DeviceCPU}})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got, err := PreprocessFor(s, tc.o)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Height != tc.want.Height || got.Width != tc.want.Width || got.Channels != tc.want.Channels || got.Order != tc.want.Order ||
				!equalFloats(got.Mean, tc.want.Mean) || !equalFloats(got.Std, tc.want.Std) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func equalFloats(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestImageTo(t *testing.T) {
	// A 4×4 grey ramp v = 10·(4y + x) halved to 2×2 with PIL's antialiased bilinear filter:
	// the triangle kernel widened ×2 puts output 0 at input 1.0 with taps (0.75, 0.75, 0.25)
	// on pixels 0..2 and output 1 at 3.0 with taps (0.25, 0.75, 0.75) on pixels 1..3, each
	// normalised by 1.75; the ramp is separable: 10·x̄ + 40·ȳ with x̄ ∈ {1.25, 4}/1.75.
	ramp := data.Image{W: 4, H: 4, C: 1, Pix: make([]uint8, 16)}
	for i := range ramp.Pix {
		ramp.Pix[i] = uint8(10 * i)
	}
	rgb := data.Image{W: 1, H: 1, C: 3, Pix: []uint8{255, 51, 0}}
	tests := []struct {
		name string
		p    Preprocess
		img  data.Image
		want []float64
	}{
		{"downscale grey", Preprocess{Height: 2, Width: 2, Channels: 1, Mean: []float32{0}, Std: []float32{1}, Order: "L"}, ramp,
			[]float64{(10*1.25 + 40*1.25) / 1.75 / 255, (10*4 + 40*1.25) / 1.75 / 255, (10*1.25 + 40*4) / 1.75 / 255, (10*4 + 40*4) / 1.75 / 255}},
		{"downscale grey to 2×1 (plain bilinear: block means)", Preprocess{Height: 1, Width: 2, Channels: 1, Mean: []float32{0}, Std: []float32{1}, Order: "L"},
			data.Image{W: 4, H: 1, C: 1, Pix: []uint8{0, 10, 20, 30}}, []float64{5.0 / 255, 25.0 / 255}},
		{"resize bgr swaps planes", Preprocess{Height: 2, Width: 2, Channels: 3, Mean: []float32{0, 0, 0.5}, Std: []float32{1, 1, 0.5}, Order: "BGR"},
			data.Image{W: 1, H: 1, C: 3, Pix: []uint8{255, 51, 0}}, []float64{0, 0, 0, 0, 0.2, 0.2, 0.2, 0.2, 1, 1, 1, 1}},
		{"normalise rgb", Preprocess{Height: 1, Width: 1, Channels: 3, Mean: []float32{0.5, 0.1, 0}, Std: []float32{0.5, 0.1, 2}, Order: "RGB"}, rgb,
			[]float64{(1 - 0.5) / 0.5, (0.2 - 0.1) / 0.1, 0}},
		{"bgr swaps", Preprocess{Height: 1, Width: 1, Channels: 3, Mean: []float32{0, 0, 0}, Std: []float32{1, 1, 1}, Order: "BGR"}, rgb,
			[]float64{0, 0.2, 1}},
		{"upscale constant", Preprocess{Height: 3, Width: 3, Channels: 1, Mean: []float32{0}, Std: []float32{1}, Order: "L"}, data.Image{W: 2, H: 2, C: 1, Pix: []uint8{51, 51, 51, 51}},
			[]float64{0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := make([]float32, tc.p.Size())
			if err := tc.p.ImageTo(dst, tc.img); err != nil {
				t.Fatal(err)
			}
			for i, w := range tc.want {
				// float32 arithmetic on values ≤ 10: 1e-6 absolute.
				if math.Abs(float64(dst[i])-w) > 1e-6 {
					t.Fatalf("value %d: got %v, want %v (all %v)", i, dst[i], w, dst)
				}
			}
		})
	}
	p := Preprocess{Height: 2, Width: 2, Channels: 1, Mean: []float32{0}, Std: []float32{1}, Order: "L"}
	if err := p.ImageTo(make([]float32, 3), ramp); err == nil || !strings.Contains(err.Error(), "want 4") {
		t.Fatalf("short destination: got %v", err)
	}
}
