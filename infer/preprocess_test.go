package infer

import (
	"strings"
	"testing"

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
