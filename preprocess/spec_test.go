package preprocess

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/data/augment"
)

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
		p    Spec
		img  data.Image
		want []float64
	}{
		{"downscale grey", Spec{Height: 2, Width: 2, Channels: 1, Mean: []float32{0}, Std: []float32{1}, Order: "L"}, ramp,
			[]float64{(10*1.25 + 40*1.25) / 1.75 / 255, (10*4 + 40*1.25) / 1.75 / 255, (10*1.25 + 40*4) / 1.75 / 255, (10*4 + 40*4) / 1.75 / 255}},
		// Halving 4 → 2 columns: taps (0.75, 0.75, 0.25)/1.75 and (0.25, 0.75, 0.75)/1.75.
		{"downscale grey to 2×1", Spec{Height: 1, Width: 2, Channels: 1, Mean: []float32{0}, Std: []float32{1}, Order: "L"},
			data.Image{W: 4, H: 1, C: 1, Pix: []uint8{0, 10, 20, 30}}, []float64{(0.75*10 + 0.25*20) / 1.75 / 255, (0.25*10 + 0.75*20 + 0.75*30) / 1.75 / 255}},
		{"resize bgr swaps planes", Spec{Height: 2, Width: 2, Channels: 3, Mean: []float32{0, 0, 0.5}, Std: []float32{1, 1, 0.5}, Order: "BGR"},
			data.Image{W: 1, H: 1, C: 3, Pix: []uint8{255, 51, 0}}, []float64{0, 0, 0, 0, 0.2, 0.2, 0.2, 0.2, 1, 1, 1, 1}},
		{"normalise rgb", Spec{Height: 1, Width: 1, Channels: 3, Mean: []float32{0.5, 0.1, 0}, Std: []float32{0.5, 0.1, 2}, Order: "RGB"}, rgb,
			[]float64{(1 - 0.5) / 0.5, (0.2 - 0.1) / 0.1, 0}},
		{"bgr swaps", Spec{Height: 1, Width: 1, Channels: 3, Mean: []float32{0, 0, 0}, Std: []float32{1, 1, 1}, Order: "BGR"}, rgb,
			[]float64{0, 0.2, 1}},
		{"upscale constant", Spec{Height: 3, Width: 3, Channels: 1, Mean: []float32{0}, Std: []float32{1}, Order: "L"}, data.Image{W: 2, H: 2, C: 1, Pix: []uint8{51, 51, 51, 51}},
			[]float64{0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2}},
		{"grey to rgb, imagenet", Default(4, 3, ""), data.Image{W: 3, H: 2, C: 1, Pix: []uint8{51, 51, 51, 51, 51, 51}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want
			if want == nil { // constant 0.2 normalised with ImageNet's statistics
				for c := range 3 {
					for range 16 {
						want = append(want, (0.2-float64(augment.ImageNetMean[c]))/float64(augment.ImageNetStd[c]))
					}
				}
			}
			dst := make([]float32, tc.p.Size())
			if err := tc.p.ImageTo(dst, tc.img); err != nil {
				t.Fatal(err)
			}
			for i, w := range want {
				// float32 arithmetic on values ≤ 10: 1e-5 absolute.
				if math.Abs(float64(dst[i])-w) > 1e-5 {
					t.Fatalf("value %d: got %v, want %v (all %v)", i, dst[i], w, dst)
				}
			}
		})
	}
	p := Spec{Height: 2, Width: 2, Channels: 1, Mean: []float32{0}, Std: []float32{1}, Order: "L"}
	if err := p.ImageTo(make([]float32, 3), ramp); err == nil || !strings.Contains(err.Error(), "want 4") {
		t.Fatalf("short destination: got %v", err)
	}
}

// TestSameSizeMatchesResampler checks the same-size shortcut against the resampler's identity
// path bit for bit, so that an image needing no resize is normalised exactly as one that does.
func TestSameSizeMatchesResampler(t *testing.T) {
	img := data.Image{W: 5, H: 3, C: 3, Pix: make([]uint8, 45)}
	for i := range img.Pix {
		img.Pix[i] = uint8(i*37 + 11)
	}
	for _, s := range []Spec{Default(0, 3, ""), Default(0, 1, "")} {
		s.Height, s.Width = 3, 5
		if s.Channels == 3 {
			s.Order = BGR
		}
		got := make([]float32, s.Size())
		if err := s.ImageTo(got, img); err != nil {
			t.Fatal(err)
		}
		src, _ := img.ToChannels(s.Channels)
		buf := make([]float32, s.Size())
		var rz augment.Resizer
		rz.Resize(buf, src, 5, 3)
		n := 15
		for c := 0; c < s.Channels; c++ {
			sc := c
			if s.Order == BGR {
				sc = 2 - c
			}
			for i := 0; i < n; i++ {
				want := (buf[sc*n+i] - s.Mean[c]) * (1 / s.Std[c])
				if got[c*n+i] != want {
					t.Fatalf("%s channel %d value %d: %v, resampler path %v", s.Order, c, i, got[c*n+i], want)
				}
			}
		}
	}
}

func TestWorkerMatchesImageTo(t *testing.T) {
	s := Default(4, 3, "")
	img := data.Image{W: 7, H: 5, C: 3, Pix: make([]uint8, 105)}
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 13)
	}
	want := make([]float32, s.Size())
	if err := s.ImageTo(want, img); err != nil {
		t.Fatal(err)
	}
	if sh := s.Shapes(); len(sh) != 1 || sh[0] != (augment.Shape{C: 3, H: 4, W: 4}) {
		t.Fatalf("Shapes = %v", sh)
	}
	w := s.NewWorker()
	for range 2 { // buffers reused
		got := make([]float32, s.Size())
		if err := w.Apply(img, nil, [][]float32{got}); err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("worker value %d: %v, ImageTo %v", i, got[i], want[i])
			}
		}
	}
	if err := w.Apply(img, nil, [][]float32{want, want}); err == nil {
		t.Error("two destination views: no error")
	}
}

func TestWithDefaultsAndValidate(t *testing.T) {
	got, err := Spec{Height: 4, Width: 4, Channels: 3, Mean: []float32{0.5}, Order: "bgr"}.WithDefaults()
	if err != nil || got.Order != BGR || len(got.Mean) != 3 || got.Mean[2] != 0.5 || got.Std[1] != 1 {
		t.Fatalf("WithDefaults = %+v, %v", got, err)
	}
	if got, err := (Spec{Height: 2, Width: 2, Channels: 1}).WithDefaults(); err != nil || got.Order != Grey {
		t.Fatalf("grey WithDefaults = %+v, %v", got, err)
	}
	for _, tt := range []struct {
		s    Spec
		want string
	}{
		{Spec{Height: 0, Width: 4, Channels: 3}, "image size"},
		{Spec{Height: 4, Width: 4, Channels: 2}, "2 channels"},
		{Spec{Height: 4, Width: 4, Channels: 3, Std: []float32{1, 2}}, "want 3 values each"},
		{Spec{Height: 4, Width: 4, Channels: 3, Std: []float32{0}}, "want every value > 0"},
		{Spec{Height: 4, Width: 4, Channels: 3, Order: "L"}, "want RGB or BGR for 3"},
		{Spec{Height: 4, Width: 4, Channels: 1, Mean: []float32{float32(math.NaN())}}, "finite"},
	} {
		if _, err := tt.s.WithDefaults(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want one containing %q", tt.s, err, tt.want)
		}
	}
}

func TestJSON(t *testing.T) {
	s := Default(28, 1, "fashion_mnist")
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"image_size":28`, `"height":28`, `"channel_order":"L"`, `"dataset":"fashion_mnist"`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON %s lacks %s", b, key)
		}
	}
	var back Spec
	if err := json.Unmarshal(b, &back); err != nil || back.Height != 28 || back.Width != 28 || back.Channels != 1 || back.Mean[0] != s.Mean[0] {
		t.Fatalf("round trip %+v, %v", back, err)
	}
	// A checkpoint written before height, width and channels were stored.
	old := `{"image_size": 32, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "channel_order": "RGB", "dataset": "cifar10"}`
	if err := json.Unmarshal([]byte(old), &back); err != nil {
		t.Fatal(err)
	}
	if v, err := back.WithDefaults(); err != nil || v.Height != 32 || v.Width != 32 || v.Channels != 3 || v.Dataset != "cifar10" {
		t.Fatalf("old form read as %+v, %v", v, err)
	}
	if err := json.Unmarshal([]byte(`{"height": "x"}`), &back); err == nil || !strings.Contains(err.Error(), "preprocess") {
		t.Fatalf("bad JSON error %v", err)
	}
}

func TestMetadataRoundTrip(t *testing.T) {
	for _, s := range []Spec{Default(96, 3, "stl10"), Default(28, 1, ""), {Height: 4, Width: 6, Channels: 3, Mean: []float32{0.1, 0.2, 0.3}, Std: []float32{1, 2, 3}, Order: BGR}} {
		m := s.Metadata()
		back, err := FromMetadata(m, s.Channels)
		if err != nil {
			t.Fatal(err)
		}
		if back.Height != s.Height || back.Width != s.Width || back.Order != s.Order || back.Dataset != s.Dataset ||
			FormatFloats(back.Mean) != FormatFloats(s.Mean) || FormatFloats(back.Std) != FormatFloats(s.Std) {
			t.Errorf("metadata %v read back as %+v, want %+v", m, back, s)
		}
	}
	if got := Default(32, 3, "").Metadata(); got[MetaMean] != "0.485,0.456,0.406" || got[MetaStd] != "0.229,0.224,0.225" || got[MetaImageSize] != "32" {
		t.Errorf("ImageNet metadata %v", got)
	}
	for _, tt := range []struct {
		meta map[string]string
		want string
	}{
		{map[string]string{MetaImageSize: "0"}, "metadata image_size"},
		{map[string]string{MetaMean: "a,b"}, "metadata mean"},
		{map[string]string{MetaStd: "[1,"}, "metadata std"},
	} {
		if _, err := FromMetadata(tt.meta, 3); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("FromMetadata(%v) error %v, want one containing %q", tt.meta, err, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string][2]int{"224": {224, 224}, "24,32": {24, 32}, "[24, 32]": {24, 32}, "24x32": {24, 32}} {
		h, w, err := ParseSize(in)
		if err != nil || h != want[0] || w != want[1] {
			t.Errorf("ParseSize(%q) = %d, %d, %v", in, h, w, err)
		}
	}
	for _, in := range []string{"", "0", "1,2,3", "a"} {
		if _, _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q): no error", in)
		}
	}
	for in, want := range map[string]string{"0.1,0.2": "0.1,0.2", "0.5 1": "0.5,1", "[0.25, 2]": "0.25,2"} {
		xs, err := ParseFloats(in)
		if err != nil || FormatFloats(xs) != want {
			t.Errorf("ParseFloats(%q) = %v, %v; want %s", in, xs, err, want)
		}
	}
	if _, err := ParseFloats(""); err == nil {
		t.Error("ParseFloats(\"\"): no error")
	}
}
