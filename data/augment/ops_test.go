package augment

import (
	"math"
	"testing"

	"github.com/scl-dev/scl/data"
)

func TestBlurKernelSize(t *testing.T) {
	// SPEC §6's table.
	for _, tc := range []struct{ s, local, k int }{{28, 12, 3}, {32, 13, 3}, {64, 27, 7}, {96, 41, 9}, {192, 82, 19}} {
		if got := BlurKernelSize(tc.s); got != tc.k {
			t.Errorf("s=%d: kernel got %d, want %d", tc.s, got, tc.k)
		}
		if got := LocalView(tc.s).Size; got != tc.local {
			t.Errorf("s=%d: local size got %d, want %d", tc.s, got, tc.local)
		}
	}
	if got := LocalView(96).Size; got != 41 {
		t.Errorf("local size for 96 got %d, want 41", got)
	}
	if got := LocalView(96).BlurKernel; got != 9 {
		t.Errorf("local blur kernel for 96 got %d, want 9 (from the global size)", got)
	}
}

// directBlur is a plain 2-D convolution with the outer product of the 1-D Gaussian, reflect
// padding, in float64: the definition the separable implementation must reproduce.
func directBlur(src []float64, w, h, k int, sigma float64) []float64 {
	g := make([]float64, k)
	var sum float64
	for i := range k {
		x := float64(i) - float64(k-1)/2
		g[i] = math.Exp(-x * x / (2 * sigma * sigma))
		sum += g[i]
	}
	for i := range g {
		g[i] /= sum
	}
	refl := func(i, n int) int {
		for i < 0 || i >= n {
			if i < 0 {
				i = -i
			}
			if i >= n {
				i = 2*(n-1) - i
			}
		}
		return i
	}
	out := make([]float64, w*h)
	p := k / 2
	for y := range h {
		for x := range w {
			var acc float64
			for dy := range k {
				for dx := range k {
					acc += g[dy] * g[dx] * src[refl(y+dy-p, h)*w+refl(x+dx-p, w)]
				}
			}
			out[y*w+x] = acc
		}
	}
	return out
}

func TestBlurAgainstDirectConvolution(t *testing.T) {
	rng := NewRNG(3)
	for _, tc := range []struct {
		w, h, k int
		sigma   float64
	}{{12, 12, 3, 0.1}, {12, 9, 3, 1.9}, {28, 28, 3, 1}, {41, 41, 9, 2}, {96, 96, 9, 0.7}, {13, 11, 7, 1.3}, {5, 4, 7, 1.5}, {30, 25, 19, 2}, {20, 20, 11, 1.8}, {82, 82, 19, 0.4}} {
		src := make([]float64, tc.w*tc.h)
		plane := make([]float32, len(src))
		for i := range src {
			plane[i] = float32(rng.Float64())
			src[i] = float64(plane[i])
		}
		want := directBlur(src, tc.w, tc.h, tc.k, tc.sigma)
		kernel := make([]float32, tc.k)
		GaussianKernel1D(kernel, tc.sigma)
		var bl blurrer
		bl.blur([][]float32{plane}, tc.w, tc.h, kernel)
		for i := range want {
			// float32 accumulation of ≤ 2k terms of values ≤ 1: well below 1e-5
			if d := math.Abs(float64(plane[i]) - want[i]); d > 1e-5 {
				t.Fatalf("%dx%d k=%d σ=%v: value %d got %v, want %v", tc.w, tc.h, tc.k, tc.sigma, i, plane[i], want[i])
			}
		}
	}
}

func TestHue(t *testing.T) {
	// Known rotations: a third of a turn maps red → green → blue.
	tests := []struct {
		rgb  [3]float32
		h    float32
		want [3]float32
	}{
		{[3]float32{1, 0, 0}, 1.0 / 3, [3]float32{0, 1, 0}},
		{[3]float32{0, 1, 0}, 1.0 / 3, [3]float32{0, 0, 1}},
		{[3]float32{0, 0, 1}, 1.0 / 3, [3]float32{1, 0, 0}},
		{[3]float32{1, 0, 0}, -1.0 / 6, [3]float32{1, 0, 1}},        // red → magenta
		{[3]float32{0.5, 0.5, 0.5}, 0.3, [3]float32{0.5, 0.5, 0.5}}, // grey has no hue
		{[3]float32{0.8, 0.4, 0.2}, 0.5, [3]float32{0.2, 0.6, 0.8}}, // complement keeps max+min
	}
	for _, tc := range tests {
		p := [][]float32{{tc.rgb[0]}, {tc.rgb[1]}, {tc.rgb[2]}}
		Hue(p, tc.h)
		for c := range 3 {
			if math.Abs(float64(p[c][0]-tc.want[c])) > 1e-6 {
				t.Errorf("hue %v of %v: got (%v, %v, %v), want %v", tc.h, tc.rgb, p[0][0], p[1][0], p[2][0], tc.want)
				break
			}
		}
	}
	// Round trips: RGB → HSV → RGB is the identity, and a shift by h then −h too.
	rng := NewRNG(11)
	for range 20000 {
		r, g, b := float32(rng.Float64()), float32(rng.Float64()), float32(rng.Float64())
		h, s, v := RGBToHSV(r, g, b)
		if h < 0 || h >= 1 || s < 0 || s > 1 || v != max(r, g, b) {
			t.Fatalf("HSV of (%v, %v, %v) got (%v, %v, %v), want h in [0,1), s in [0,1], v = max", r, g, b, h, s, v)
		}
		r2, g2, b2 := HSVToRGB(h, s, v)
		if d := max(abs32(r-r2), abs32(g-g2), abs32(b-b2)); d > 2e-6 {
			t.Fatalf("round trip of (%v, %v, %v) got (%v, %v, %v)", r, g, b, r2, g2, b2)
		}
		shift := float32(rng.Uniform(-0.5, 0.5))
		p := [][]float32{{r}, {g}, {b}}
		Hue(p, shift)
		Hue(p, -shift)
		if d := max(abs32(r-p[0][0]), abs32(g-p[1][0]), abs32(b-p[2][0])); d > 1e-5 {
			t.Fatalf("hue %v then %v of (%v, %v, %v) got (%v, %v, %v)", shift, -shift, r, g, b, p[0][0], p[1][0], p[2][0])
		}
	}
}

func abs32(x float32) float32 { return float32(math.Abs(float64(x))) }

func TestJitterRanges(t *testing.T) {
	v := GlobalView(32)
	rng := NewRNG(5)
	const n = 24000
	perms := map[[4]int]int{}
	var bs, cs, ss, hs []float64
	for range n {
		j := v.DrawJitter(rng)
		perms[j.Order]++
		bs = append(bs, float64(j.Brightness))
		cs = append(cs, float64(j.Contrast))
		ss = append(ss, float64(j.Saturation))
		hs = append(hs, float64(j.Hue))
	}
	crit := 1.95 / math.Sqrt(n) // KS, 0.1 %
	for _, tc := range []struct {
		name   string
		xs     []float64
		lo, hi float64
	}{{"brightness", bs, 0.2, 1.8}, {"contrast", cs, 0.2, 1.8}, {"saturation", ss, 0.2, 1.8}, {"hue", hs, -0.2, 0.2}} {
		for _, x := range tc.xs {
			if x < tc.lo || x > tc.hi {
				t.Fatalf("%s factor %v outside [%v, %v]", tc.name, x, tc.lo, tc.hi)
			}
		}
		if d := ksUniform(tc.xs, tc.lo, tc.hi); d > crit {
			t.Errorf("%s: KS distance %.4f from U(%v, %v), want ≤ %.4f", tc.name, d, tc.lo, tc.hi, crit)
		}
	}
	// All 24 orders, each about 1000 times: χ² with 23 degrees of freedom, 0.1 % critical 49.7.
	if len(perms) != 24 {
		t.Fatalf("got %d distinct orders, want 24", len(perms))
	}
	chi := 0.0
	for _, c := range perms {
		chi += (float64(c) - n/24) * (float64(c) - n/24) / (n / 24)
	}
	if chi > 49.7 {
		t.Errorf("order χ² got %.1f, want ≤ 49.7", chi)
	}
}

// onlyView returns a view that crops the whole image at its own size and does nothing else.
func onlyView(s int) ViewConfig {
	return ViewConfig{Size: s, Scale: [2]float64{1, 1}, Ratio: [2]float64{1, 1}}
}

// rate runs the single-view transform n times and counts outputs for which hit is true.
func rate(t *testing.T, v ViewConfig, img data.Image, n int, hit func(out []float32) bool) float64 {
	t.Helper()
	m := &MultiCrop{Views: []ViewConfig{v}, Channels: 3, Mean: [3]float32{0, 0, 0}, Std: [3]float32{1, 1, 1}}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	w := m.NewWorker()
	out := make([]float32, m.Shapes()[0].Len())
	rng := NewRNG(77)
	hits := 0
	for range n {
		if err := w.Apply(img, rng, [][]float32{out}); err != nil {
			t.Fatal(err)
		}
		if hit(out) {
			hits++
		}
	}
	return float64(hits) / float64(n)
}

func gradientImage(s int) data.Image {
	img := data.Image{W: s, H: s, C: 3, Pix: make([]uint8, s*s*3)}
	for y := range s {
		for x := range s {
			p := img.Pix[(y*s+x)*3:]
			p[0], p[1], p[2] = uint8(130+4*x), uint8(200-3*y), uint8(140+2*x+y)
		}
	}
	return img
}

func TestApplicationRates(t *testing.T) {
	const s, n = 16, 8000
	img := gradientImage(s)
	plane := s * s
	first := float32(img.Pix[0]) / 255
	tests := []struct {
		name string
		v    func() ViewConfig
		p    float64
		hit  func(out []float32) bool
	}{
		{"flip", func() ViewConfig { v := onlyView(s); v.FlipP = 0.5; return v }, 0.5,
			func(o []float32) bool { return math.Abs(float64(o[0]-first)) > 1e-4 }},
		{"grayscale", func() ViewConfig { v := onlyView(s); v.GreyP = 0.2; return v }, 0.2,
			func(o []float32) bool { return o[5] == o[plane+5] && o[5] == o[2*plane+5] }},
		{"jitter", func() ViewConfig { v := onlyView(s); v.JitterP = 0.8; v.Brightness = 0.8; return v }, 0.8,
			func(o []float32) bool { return math.Abs(float64(o[7]-float32(img.Pix[21])/255)) > 1e-4 }},
		{"solarize", func() ViewConfig { v := onlyView(s); v.SolarizeP = 0.2; v.SolarizeThreshold = 127; return v }, 0.2,
			func(o []float32) bool { return o[0] < 0.5 }}, // every input value is ≥ 130
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rate(t, tc.v(), img, n, tc.hit)
			// 4.5 binomial standard deviations: a false alarm about once in 150,000 runs.
			tol := 4.5 * math.Sqrt(tc.p*(1-tc.p)/n)
			if math.Abs(got-tc.p) > tol {
				t.Errorf("rate got %.4f, want %.2f ± %.4f", got, tc.p, tol)
			}
		})
	}
}

func TestSolarizeThreshold(t *testing.T) {
	// 8-bit semantics: 127 is inverted, 126 is not.
	p := [][]float32{{126.0 / 255, 127.0 / 255, 1}}
	Solarize(p, SolarizeLevel(127))
	want := []float32{126.0 / 255, 1 - 127.0/255, 0}
	for i := range want {
		if math.Abs(float64(p[0][i]-want[i])) > 1e-7 {
			t.Errorf("value %d got %v, want %v", i, p[0][i], want[i])
		}
	}
}

// TestGreyFastPath checks that a grey image kept as one plane gives the same views as the
// same image replicated to RGB first (SPEC §6's order).
func TestGreyFastPath(t *testing.T) {
	grey := data.Image{W: 28, H: 28, C: 1, Pix: make([]uint8, 28*28)}
	r := NewRNG(4)
	for i := range grey.Pix {
		grey.Pix[i] = uint8(r.Intn(256))
	}
	rgb, _ := grey.ToChannels(3)
	m, err := NewMultiCrop(28, 2, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	alloc := func() [][]float32 {
		out := make([][]float32, len(m.Views))
		for v, s := range m.Shapes() {
			out[v] = make([]float32, s.Len())
		}
		return out
	}
	a, b := alloc(), alloc()
	wa, wb := m.NewWorker(), m.NewWorker()
	for seed := range uint64(50) {
		if err := wa.Apply(grey, NewRNG(seed), a); err != nil {
			t.Fatal(err)
		}
		if err := wb.Apply(rgb, NewRNG(seed), b); err != nil {
			t.Fatal(err)
		}
		for v := range a {
			for i := range a[v] {
				// Contrast and saturation weigh three equal channels by 0.299 + 0.587 + 0.114
				// in float32; 1e-4 after normalisation (÷0.225) covers that rounding.
				if d := math.Abs(float64(a[v][i] - b[v][i])); d > 1e-4 {
					t.Fatalf("seed %d view %d value %d: grey path %v, RGB path %v", seed, v, i, a[v][i], b[v][i])
				}
			}
		}
	}
}

func TestMultiCropDeterministic(t *testing.T) {
	img := gradientImage(40)
	m, _ := NewMultiCrop(32, 2, 4, 3)
	run := func() [][]float32 {
		out := make([][]float32, len(m.Views))
		for v, s := range m.Shapes() {
			out[v] = make([]float32, s.Len())
		}
		if err := m.NewWorker().Apply(img, NewRNG(SeedFor(1, 2, 3)), out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, b := run(), run()
	for v := range a {
		for i := range a[v] {
			if a[v][i] != b[v][i] || math.IsNaN(float64(a[v][i])) {
				t.Fatalf("view %d value %d: %v then %v", v, i, a[v][i], b[v][i])
			}
		}
	}
	if s := m.Shapes(); s[0] != (Shape{3, 32, 32}) || s[5] != (Shape{3, 13, 13}) {
		t.Errorf("shapes got %v, want 3x32x32 global and 3x13x13 local", s)
	}
}

func TestPreview(t *testing.T) {
	m, _ := NewMultiCrop(28, 2, 4, 3)
	img := gradientImage(28)
	out, err := Preview(img, m, PreviewConfig{Rows: 3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	// zoom 5 (28·5 = 140 ≥ 128), cells of 140 + 4, 7 columns and 3 rows plus the outer gap
	if b := out.Bounds(); b.Dx() != 7*144+4 || b.Dy() != 3*144+4 {
		t.Errorf("size got %v, want %dx%d", b, 7*144+4, 3*144+4)
	}
	// The first column is the source image, de-normalised back to 8 bits (±1 level).
	got := out.NRGBAAt(4+2*5, 4+3*5)
	want := img.Pix[(3*28+2)*3:]
	for c, g := range []uint8{got.R, got.G, got.B} {
		if d := int(g) - int(want[c]); d < -1 || d > 1 {
			t.Errorf("source pixel channel %d got %d, want %d ± 1", c, g, want[c])
		}
	}
}
