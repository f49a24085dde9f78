package augment

import (
	"fmt"

	"github.com/scl-dev/scl/data"
)

// ImageNet normalisation statistics (SPEC §6).
var (
	ImageNetMean = [3]float32{0.485, 0.456, 0.406}
	ImageNetStd  = [3]float32{0.229, 0.224, 0.225}
)

// GreyMean and GreyStd normalise one-channel outputs: the means of ImageNetMean and ImageNetStd
// (a choice of this project; SPEC §6 replicates grey images to three channels instead).
const (
	GreyMean = (0.485 + 0.456 + 0.406) / 3
	GreyStd  = (0.229 + 0.224 + 0.225) / 3
)

// ViewConfig is one random view: RandomResizedCrop → flip → ColorJitter → grayscale →
// Gaussian blur → solarize (SPEC §6). Probabilities are applied as torchvision does
// (an operation runs when a U(0,1) draw is below its probability).
type ViewConfig struct {
	Size  int        // output side s (square)
	Scale [2]float64 // RandomResizedCrop area fraction range
	Ratio [2]float64 // RandomResizedCrop aspect ratio range (w/h), log-uniform

	FlipP float64 // horizontal flip probability

	JitterP float64 // probability of applying ColorJitter
	// Brightness, Contrast and Saturation factors are drawn from [max(0, 1−x), 1+x], the hue
	// shift from [−Hue, Hue]; the four adjustments run in a random order. 0 disables one.
	Brightness, Contrast, Saturation, Hue float64

	GreyP float64 // random grayscale probability

	BlurP      float64    // Gaussian blur probability (1: always)
	BlurKernel int        // odd kernel size
	BlurSigma  [2]float64 // σ ~ U(BlurSigma[0], BlurSigma[1])

	SolarizeP float64 // solarize probability
	// SolarizeThreshold is on the 8-bit scale: values v ≥ threshold become 255 − v. On the float
	// pipeline a value x in [0,1] is solarized when round(255·x) ≥ threshold.
	SolarizeThreshold int
}

// GlobalView is SPEC §6's global view for image size s: RandomResizedCrop(s, scale 0.1–1,
// ratio 3/4–4/3), flip 0.5, ColorJitter(0.8, 0.8, 0.8, 0.2) with p 0.8, grayscale 0.2, blur
// always (kernel BlurKernelSize(s), σ ∈ [0.1, 2]), solarize 0.2 at 127.
func GlobalView(s int) ViewConfig {
	return ViewConfig{
		Size: s, Scale: [2]float64{0.1, 1}, Ratio: [2]float64{3.0 / 4, 4.0 / 3},
		FlipP:   0.5,
		JitterP: 0.8, Brightness: 0.8, Contrast: 0.8, Saturation: 0.8, Hue: 0.2,
		GreyP: 0.2,
		BlurP: 1, BlurKernel: BlurKernelSize(s), BlurSigma: [2]float64{0.1, 2},
		SolarizeP: 0.2, SolarizeThreshold: 127,
	}
}

// LocalView is SPEC §6's local view for global image size s: as GlobalView but of side
// int(s·3/7), scale 0.05–1, no solarize, blur kernel from s.
func LocalView(s int) ViewConfig {
	v := GlobalView(s)
	v.Size = s * 3 / 7
	v.Scale = [2]float64{0.05, 1}
	v.SolarizeP = 0
	return v
}

// Validate checks the configuration.
func (v ViewConfig) Validate() error {
	switch {
	case v.Size < 1:
		return fmt.Errorf("augment: view size %d, want ≥ 1", v.Size)
	case !(0 < v.Scale[0] && v.Scale[0] <= v.Scale[1]):
		return fmt.Errorf("augment: crop scale %v, want 0 < min ≤ max", v.Scale)
	case !(0 < v.Ratio[0] && v.Ratio[0] <= v.Ratio[1]):
		return fmt.Errorf("augment: crop ratio %v, want 0 < min ≤ max", v.Ratio)
	case v.BlurP > 0 && (v.BlurKernel < 1 || v.BlurKernel%2 == 0):
		return fmt.Errorf("augment: blur kernel %d, want a positive odd size", v.BlurKernel)
	case v.BlurP > 0 && !(0 < v.BlurSigma[0] && v.BlurSigma[0] <= v.BlurSigma[1]):
		return fmt.Errorf("augment: blur sigma %v, want 0 < min ≤ max", v.BlurSigma)
	case v.Hue < 0 || v.Hue > 0.5:
		return fmt.Errorf("augment: hue %v, want 0..0.5", v.Hue)
	case v.Brightness < 0 || v.Contrast < 0 || v.Saturation < 0:
		return fmt.Errorf("augment: jitter strengths (%v, %v, %v), want ≥ 0", v.Brightness, v.Contrast, v.Saturation)
	}
	return nil
}

// Jitter is one draw of ColorJitter's parameters: the order of the four adjustments
// (0 brightness, 1 contrast, 2 saturation, 3 hue) and their factors.
type Jitter struct {
	Order                            [4]int
	Brightness, Contrast, Saturation float32
	Hue                              float32
}

// DrawJitter draws ColorJitter parameters as torchvision's ColorJitter.get_params: a random
// permutation first, then each factor uniformly from its range.
func (v *ViewConfig) DrawJitter(rng *RNG) Jitter {
	var j Jitter
	var p [4]int
	rng.Perm(p[:])
	j.Order = p
	j.Brightness = float32(rng.Uniform(max(0, 1-v.Brightness), 1+v.Brightness))
	j.Contrast = float32(rng.Uniform(max(0, 1-v.Contrast), 1+v.Contrast))
	j.Saturation = float32(rng.Uniform(max(0, 1-v.Saturation), 1+v.Saturation))
	j.Hue = float32(rng.Uniform(-v.Hue, v.Hue))
	return j
}

// Apply runs the adjustments in order on the planes (one plane: grey).
func (j Jitter) Apply(planes [][]float32) {
	for _, op := range j.Order {
		switch op {
		case 0:
			if j.Brightness != 1 {
				Brightness(planes, j.Brightness)
			}
		case 1:
			if j.Contrast != 1 {
				Contrast(planes, j.Contrast)
			}
		case 2:
			if j.Saturation != 1 {
				Saturation(planes, j.Saturation)
			}
		case 3:
			if j.Hue != 0 {
				Hue(planes, j.Hue)
			}
		}
	}
}

// Shape is the [C, H, W] shape of one view.
type Shape struct{ C, H, W int }

// Len is C·H·W.
func (s Shape) Len() int { return s.C * s.H * s.W }

// Transform turns one image into one or more float32 CHW views. A Transform is immutable and
// safe for concurrent use; the per-goroutine buffers live in its Workers.
type Transform interface {
	// Shapes lists the shape of every view.
	Shapes() []Shape
	// NewWorker returns a worker with its own buffers (not safe for concurrent use).
	NewWorker() Worker
}

// Worker applies a Transform.
type Worker interface {
	// Apply writes the views of img into dst[v] (len Shapes()[v].Len() each), drawing all
	// randomness from rng.
	Apply(img data.Image, rng *RNG, dst [][]float32) error
}
