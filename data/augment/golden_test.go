package augment

import (
	_ "embed"
	"encoding/json"
	"math"
	"testing"

	"github.com/scl-dev/scl/data"
)

// testdata/golden.json holds PIL and torchvision outputs (see testdata/make_golden.py).
//
//go:embed testdata/golden.json
var goldenJSON []byte

type golden struct {
	ResizeSrc struct {
		H, W int
		Pix  []uint8
	} `json:"resize_src"`
	Resize []struct {
		Crop [4]int
		Out  [2]int
		Pix  []uint8
	}
	OpsSrc struct {
		C, H, W int
		Pix     []float32
	} `json:"ops_src"`
	Ops []struct {
		Op    string
		Param float64
		Pix   []float32
	}
}

func loadGolden(t *testing.T) golden {
	t.Helper()
	var g golden
	if err := json.Unmarshal(goldenJSON, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// TestResizeMatchesPIL compares the float resampling with PIL's 8-bit BILINEAR resize of the
// same crops. PIL rounds to 8 bits after its horizontal pass and at the end, so each value may
// differ by up to one level (plus float error).
func TestResizeMatchesPIL(t *testing.T) {
	g := loadGolden(t)
	src := data.Image{W: g.ResizeSrc.W, H: g.ResizeSrc.H, C: 3, Pix: g.ResizeSrc.Pix}
	var rz resizer
	for _, tc := range g.Resize {
		oh, ow := tc.Out[0], tc.Out[1]
		dst := make([]float32, 3*oh*ow)
		rz.resizeTo(dst, src, Crop{I: tc.Crop[0], J: tc.Crop[1], H: tc.Crop[2], W: tc.Crop[3]}, ow, oh, false)
		worst := 0.0
		for y := range oh {
			for x := range ow {
				for c := range 3 {
					got := float64(dst[c*oh*ow+y*ow+x]) * 255
					want := float64(tc.Pix[(y*ow+x)*3+c])
					worst = math.Max(worst, math.Abs(got-want))
				}
			}
		}
		if worst > 1.01 {
			t.Errorf("crop %v → %dx%d: max difference %.3f levels, want ≤ 1 (PIL's intermediate rounding)", tc.Crop, ow, oh, worst)
		}
	}
}

// TestOpsMatchTorchvision compares the colour operations, grayscale, blur and solarize with
// torchvision's tensor functions on the same float image.
func TestOpsMatchTorchvision(t *testing.T) {
	g := loadGolden(t)
	n := g.OpsSrc.H * g.OpsSrc.W
	for _, tc := range g.Ops {
		t.Run(tc.Op, func(t *testing.T) {
			buf := append([]float32(nil), g.OpsSrc.Pix...)
			planes := [][]float32{buf[:n], buf[n : 2*n], buf[2*n:]}
			f := float32(tc.Param)
			switch tc.Op {
			case "brightness":
				Brightness(planes, f)
			case "contrast":
				Contrast(planes, f)
			case "saturation":
				Saturation(planes, f)
			case "hue":
				Hue(planes, f)
			case "grayscale":
				Grayscale(planes[0], planes[1], planes[2])
				buf = buf[:n]
			case "blur3", "blur5":
				k := make([]float32, int(tc.Op[4]-'0'))
				GaussianKernel1D(k, tc.Param)
				var bl blurrer
				bl.blur(planes, g.OpsSrc.W, g.OpsSrc.H, k)
			case "solarize":
				Solarize(planes, f)
			default:
				t.Fatalf("unknown op %s", tc.Op)
			}
			if len(buf) != len(tc.Pix) {
				t.Fatalf("got %d values, want %d", len(buf), len(tc.Pix))
			}
			// torchvision's tensor rgb_to_grayscale weighs red 0.2989; scl uses PIL's and ITU-R
			// 601-2's 0.299 (the reference works on PIL images). Add the exact difference.
			want := append([]float32(nil), tc.Pix...)
			src := g.OpsSrc.Pix
			var meanR float64
			for _, v := range src[:n] {
				meanR += float64(v) / float64(n)
			}
			for i := range want {
				switch tc.Op {
				case "grayscale":
					want[i] += 0.0001 * src[i]
				case "saturation":
					if v := want[i]; v > 0 && v < 1 {
						want[i] += (1 - f) * 0.0001 * src[i%n]
					}
				case "contrast":
					if v := want[i]; v > 0 && v < 1 {
						want[i] += (1 - f) * 0.0001 * float32(meanR)
					}
				}
			}
			for i := range buf {
				// float32 arithmetic in a different order than torch's: a few ulps; hue goes
				// through divisions, 1e-5 covers it.
				if d := math.Abs(float64(buf[i] - want[i])); d > 1e-5 {
					t.Fatalf("%s(%v) value %d got %v, want %v", tc.Op, tc.Param, i, buf[i], want[i])
				}
			}
		})
	}
}

// TestViewsMatchTorchvision renders whole views with fixed parameters and compares them with
// torchvision: PIL crop-resize-flip, then the tensor colour ops in the same order, grayscale,
// blur, solarize and Normalize. PIL hands 8-bit values to the tensor ops (±1 level from its
// rounding), which jitter factors up to 1.8 and normalisation (÷0.224) amplify to about 0.03.
func TestViewsMatchTorchvision(t *testing.T) {
	var g struct {
		ViewSrc struct {
			H, W int
			Pix  []uint8
		} `json:"view_src"`
		Views []struct {
			Size     int
			Crop     [4]int
			Flip     bool
			Order    []int
			Factors  []float32
			Grey     bool
			Sigma    float64
			Solarize bool
			Kernel   int
			Pix      []float32
		}
	}
	if err := json.Unmarshal(goldenJSON, &g); err != nil {
		t.Fatal(err)
	}
	src := data.Image{W: g.ViewSrc.W, H: g.ViewSrc.H, C: 3, Pix: g.ViewSrc.Pix}
	for k, tc := range g.Views {
		vc := GlobalView(32)
		vc.Size = tc.Size
		if vc.BlurKernel != tc.Kernel {
			t.Fatalf("view %d: kernel got %d, want %d", k, vc.BlurKernel, tc.Kernel)
		}
		m := &MultiCrop{Views: []ViewConfig{vc}, Channels: 3, Mean: ImageNetMean, Std: ImageNetStd}
		w := m.NewWorker().(*multiCropWorker)
		p := ViewParams{
			Crop: Crop{I: tc.Crop[0], J: tc.Crop[1], H: tc.Crop[2], W: tc.Crop[3]},
			Flip: tc.Flip, Grey: tc.Grey, Blur: true, Sigma: tc.Sigma, Solarize: tc.Solarize,
		}
		if tc.Order != nil {
			p.Jitter = true
			copy(p.JitterOp.Order[:], tc.Order)
			p.JitterOp.Brightness, p.JitterOp.Contrast, p.JitterOp.Saturation, p.JitterOp.Hue = tc.Factors[0], tc.Factors[1], tc.Factors[2], tc.Factors[3]
		}
		dst := make([]float32, 3*tc.Size*tc.Size)
		w.render(src, &m.Views[0], p, dst)
		var worst, sum float64
		for i := range dst {
			d := math.Abs(float64(dst[i] - tc.Pix[i]))
			worst = math.Max(worst, d)
			sum += d
		}
		mean := sum / float64(len(dst))
		if worst > 0.06 || mean > 0.01 {
			t.Errorf("view %d (%+v): max difference %.4f, mean %.5f, want ≤ 0.06 and ≤ 0.01", k, p, worst, mean)
		}
	}
}
