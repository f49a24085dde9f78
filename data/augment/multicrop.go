package augment

import (
	"fmt"

	"github.com/scl-dev/scl/data"
)

// MultiCrop is the multi-crop transform of SPEC §2 and §6: each image yields its global views
// then its local views, each a float32 CHW buffer normalised with Mean and Std.
type MultiCrop struct {
	Views    []ViewConfig
	Channels int // 1 or 3: grey inputs are replicated to 3, RGB reduced to grey for 1
	// Mean and Std per output channel (only the first Channels entries are used).
	Mean, Std [3]float32
}

// NewMultiCrop returns SPEC §6's transform for image size s with the given numbers of global
// and local views and output channels (3 as the specification; 1 keeps grey data grey).
func NewMultiCrop(s, global, local, channels int) (*MultiCrop, error) {
	return NewMultiCropRecipe(s, global, local, channels, Recipe{})
}

// NewMultiCropRecipe is NewMultiCrop with the views changed as r says.
func NewMultiCropRecipe(s, global, local, channels int, r Recipe) (*MultiCrop, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if global < 1 || local < 0 {
		return nil, fmt.Errorf("augment: %d global and %d local views, want ≥ 1 and ≥ 0", global, local)
	}
	m := &MultiCrop{Channels: channels}
	m.Mean, m.Std = DefaultNorm(channels)
	for range global {
		v := GlobalView(s)
		r.apply(&v, s, false)
		m.Views = append(m.Views, v)
	}
	for range local {
		v := LocalView(s)
		r.apply(&v, s, true)
		m.Views = append(m.Views, v)
	}
	return m, m.Validate()
}

// DefaultNorm returns the SPEC's normalisation for 3 channels, GreyMean/GreyStd for 1.
func DefaultNorm(channels int) (mean, std [3]float32) {
	if channels == 1 {
		return [3]float32{GreyMean}, [3]float32{GreyStd}
	}
	return ImageNetMean, ImageNetStd
}

// Validate checks every view and the channel count.
func (m *MultiCrop) Validate() error {
	if m.Channels != 1 && m.Channels != 3 {
		return fmt.Errorf("augment: channels %d, want 1 or 3", m.Channels)
	}
	if len(m.Views) == 0 {
		return fmt.Errorf("augment: no views")
	}
	for i, v := range m.Views {
		if err := v.Validate(); err != nil {
			return fmt.Errorf("augment: view %d: %w", i, err)
		}
	}
	for c := range m.Channels {
		if !(m.Std[c] > 0) {
			return fmt.Errorf("augment: std[%d] = %v, want > 0", c, m.Std[c])
		}
	}
	return nil
}

// Shapes lists [Channels, Size, Size] per view.
func (m *MultiCrop) Shapes() []Shape {
	out := make([]Shape, len(m.Views))
	for i, v := range m.Views {
		out[i] = Shape{C: m.Channels, H: v.Size, W: v.Size}
	}
	return out
}

// NewWorker returns a worker with its own buffers.
func (m *MultiCrop) NewWorker() Worker { return &multiCropWorker{m: m} }

type multiCropWorker struct {
	m      *MultiCrop
	rz     resizer
	bl     blurrer
	buf    []float32
	kernel []float32
	planes [3][]float32
}

// Apply writes every view of img into dst.
func (w *multiCropWorker) Apply(img data.Image, rng *RNG, dst [][]float32) error {
	if len(dst) != len(w.m.Views) {
		return fmt.Errorf("augment: %d destination views, want %d", len(dst), len(w.m.Views))
	}
	if !img.Valid() {
		return fmt.Errorf("augment: invalid image %dx%dx%d with %d bytes", img.W, img.H, img.C, len(img.Pix))
	}
	if img.C == 3 && w.m.Channels == 1 {
		var err error
		if img, err = img.ToChannels(1); err != nil {
			return err
		}
	}
	for v := range w.m.Views {
		vc := &w.m.Views[v]
		if len(dst[v]) != w.m.Channels*vc.Size*vc.Size {
			return fmt.Errorf("augment: view %d buffer of %d floats, want %d", v, len(dst[v]), w.m.Channels*vc.Size*vc.Size)
		}
		w.view(img, vc, rng, dst[v])
	}
	return nil
}

// ViewParams are the random choices of one view, in the order the pipeline applies them.
type ViewParams struct {
	Crop     Crop
	Flip     bool
	Jitter   bool   // apply JitterOp
	JitterOp Jitter // order and factors (meaningful when Jitter)
	Grey     bool   // random grayscale (no-op on grey images)
	Blur     bool
	Sigma    float64 // blur σ (meaningful when Blur)
	Solarize bool
}

// Draw draws the parameters of one view of a w×h image from rng, as torchvision's transforms
// would in sequence: crop, flip, ColorJitter's coin then its parameters, grayscale, blur σ,
// solarize.
func (v *ViewConfig) Draw(rng *RNG, w, h int) ViewParams {
	var p ViewParams
	p.Crop = CropParams(rng, w, h, v.Scale, v.Ratio)
	p.Flip = rng.Float64() < v.FlipP
	if v.JitterP > 0 && rng.Float64() < v.JitterP {
		p.Jitter = true
		p.JitterOp = v.DrawJitter(rng)
	}
	p.Grey = v.GreyP > 0 && rng.Float64() < v.GreyP
	if v.BlurP > 0 && (v.BlurP >= 1 || rng.Float64() < v.BlurP) {
		p.Blur = true
		p.Sigma = rng.Uniform(v.BlurSigma[0], v.BlurSigma[1])
	}
	p.Solarize = v.SolarizeP > 0 && rng.Float64() < v.SolarizeP
	return p
}

// view computes one view.
func (w *multiCropWorker) view(img data.Image, vc *ViewConfig, rng *RNG, dst []float32) {
	w.render(img, vc, vc.Draw(rng, img.W, img.H), dst)
}

// render computes a view with given parameters. Grey sources stay one plane through every
// operation (saturation, hue and grayscale leave grey pixels unchanged, the others act per
// channel) and are replicated at normalisation.
func (w *multiCropWorker) render(img data.Image, vc *ViewConfig, p ViewParams, dst []float32) {
	s := vc.Size
	n := s * s
	w.buf = growF(w.buf, 3*n)
	w.rz.resizeTo(w.buf, img, p.Crop, s, s, p.Flip)
	for c := range 3 {
		w.planes[c] = w.buf[c*n : (c+1)*n]
	}
	planes := w.planes[:img.C]
	if p.Jitter {
		p.JitterOp.Apply(planes)
	}
	if p.Grey && len(planes) == 3 {
		Grayscale(planes[0], planes[1], planes[2])
		planes = planes[:1]
	}
	if p.Blur {
		w.kernel = growF(w.kernel, vc.BlurKernel)
		GaussianKernel1D(w.kernel, p.Sigma)
		w.bl.blur(planes, s, s, w.kernel)
	}
	if p.Solarize {
		Solarize(planes, SolarizeLevel(vc.SolarizeThreshold))
	}
	for c := range w.m.Channels {
		src := planes[min(c, len(planes)-1)]
		normalizeTo(dst[c*n:(c+1)*n], src, w.m.Mean[c], w.m.Std[c])
	}
}

// SolarizeLevel converts an 8-bit threshold to the float scale: round(255·x) ≥ t ⇔ x ≥ (t−0.5)/255.
func SolarizeLevel(t int) float32 { return float32((float64(t) - 0.5) / 255) }

// normalizeTo writes (src − mean)/std into dst.
func normalizeTo(dst, src []float32, mean, std float32) {
	inv := 1 / std
	src = src[:len(dst)]
	for i := range dst {
		dst[i] = (src[i] - mean) * inv
	}
}
