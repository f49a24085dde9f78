package preprocess

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/data/augment"
)

// Channel orders.
const (
	RGB  = "RGB"
	BGR  = "BGR"
	Grey = "L"
)

// Spec turns an 8-bit image into a float32 CHW input (see the package documentation). Build
// one with [Default], [FromMetadata] or by hand, then [Spec.WithDefaults]. A Spec is a value:
// safe for concurrent use.
type Spec struct {
	Height   int       `json:"height"`
	Width    int       `json:"width"`
	Channels int       `json:"channels"`      // 1 or 3
	Mean     []float32 `json:"mean"`          // one value per channel, of pixels scaled to [0,1]
	Std      []float32 `json:"std"`           // one value per channel
	Order    string    `json:"channel_order"` // RGB or BGR for 3 channels, L for grey
	// Dataset names the data the network was trained on (informative).
	Dataset string `json:"dataset,omitempty"`
}

// Default is the training side's preprocessing (SPEC §6): a size×size input, ImageNet's mean
// and standard deviation for 3 channels (RGB), their means for grey (L).
func Default(size, channels int, dataset string) Spec {
	mean, std := augment.DefaultNorm(channels)
	s := Spec{Height: size, Width: size, Channels: channels, Order: RGB, Dataset: dataset}
	if channels == 1 {
		s.Order = Grey
	}
	for c := 0; c < channels && c < 3; c++ {
		s.Mean = append(s.Mean, mean[c])
		s.Std = append(s.Std, std[c])
	}
	return s
}

// Square returns the side of a square input, 0 for another shape.
func (s Spec) Square() int {
	if s.Height == s.Width {
		return s.Height
	}
	return 0
}

// Size returns the number of float32 values of one input (C·H·W).
func (s Spec) Size() int { return s.Channels * s.Height * s.Width }

// WithDefaults fills what is missing — mean 0 and std 1 per channel, one mean or std value
// for every channel, RGB (or L for grey) — and validates the result.
func (s Spec) WithDefaults() (Spec, error) {
	if s.Mean == nil {
		s.Mean = make([]float32, s.Channels)
	}
	if s.Std == nil {
		s.Std = make([]float32, s.Channels)
		for i := range s.Std {
			s.Std[i] = 1
		}
	}
	// A single value applies to every channel.
	if len(s.Mean) == 1 && s.Channels == 3 {
		s.Mean = []float32{s.Mean[0], s.Mean[0], s.Mean[0]}
	}
	if len(s.Std) == 1 && s.Channels == 3 {
		s.Std = []float32{s.Std[0], s.Std[0], s.Std[0]}
	}
	s.Order = strings.ToUpper(s.Order)
	switch {
	case s.Order == "" && s.Channels == 3:
		s.Order = RGB
	case s.Order == "" || s.Order == "GREY" || s.Order == "GRAY":
		s.Order = Grey
	}
	return s, s.Validate()
}

// Validate checks every field, naming it and what was expected.
func (s Spec) Validate() error {
	if s.Height <= 0 || s.Width <= 0 {
		return fmt.Errorf("preprocess: image size %d×%d: want positive sides", s.Height, s.Width)
	}
	if s.Channels != 1 && s.Channels != 3 {
		return fmt.Errorf("preprocess: %d channels: want 1 or 3", s.Channels)
	}
	if len(s.Mean) != s.Channels || len(s.Std) != s.Channels {
		return fmt.Errorf("preprocess: mean %v and std %v: want %d values each (the model's channels)", s.Mean, s.Std, s.Channels)
	}
	for _, m := range s.Mean {
		if math.IsNaN(float64(m)) || math.IsInf(float64(m), 0) {
			return fmt.Errorf("preprocess: mean %v: want finite values", s.Mean)
		}
	}
	for _, v := range s.Std {
		if !(v > 0) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("preprocess: std %v: want every value > 0", s.Std)
		}
	}
	if (s.Channels == 3 && s.Order != RGB && s.Order != BGR) || (s.Channels == 1 && s.Order != Grey) {
		return fmt.Errorf("preprocess: channel order %q for %d channels: want RGB or BGR for 3, L for 1", s.Order, s.Channels)
	}
	return nil
}

// specJSON is the stored form: the Spec's fields, plus image_size (a square input's side),
// the only size field of checkpoints written before height and width were stored.
type specJSON struct {
	ImageSize int `json:"image_size,omitempty"`
	specFields
}

type specFields Spec

// MarshalJSON writes the fields and, for a square input, image_size.
func (s Spec) MarshalJSON() ([]byte, error) {
	return json.Marshal(specJSON{ImageSize: s.Square(), specFields: specFields(s)})
}

// UnmarshalJSON reads the fields; image_size stands for height and width when they are
// absent, and the channels follow from the channel order or the mean when absent.
func (s *Spec) UnmarshalJSON(b []byte) error {
	var v specJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("preprocess: %w", err)
	}
	*s = Spec(v.specFields)
	if s.Height == 0 && s.Width == 0 {
		s.Height, s.Width = v.ImageSize, v.ImageSize
	}
	if s.Channels == 0 {
		switch {
		case strings.EqualFold(s.Order, Grey):
			s.Channels = 1
		case len(s.Mean) > 0:
			s.Channels = len(s.Mean)
		default:
			s.Channels = 3
		}
	}
	return nil
}

// ImageTo writes the input of img into dst, which must hold Size() values. It allocates its
// buffers; use a worker (NewWorker) in loops.
func (s Spec) ImageTo(dst []float32, img data.Image) error {
	var w worker
	return w.imageTo(&s, dst, img)
}

// Shapes is the one [Channels, Height, Width] view (the data/augment Transform interface, so
// that data/loader builds extraction batches with a Spec).
func (s Spec) Shapes() []augment.Shape {
	return []augment.Shape{{C: s.Channels, H: s.Height, W: s.Width}}
}

// NewWorker returns a transform worker with its own buffers.
func (s Spec) NewWorker() augment.Worker { return &worker{s: s} }

type worker struct {
	s   Spec
	rz  augment.Resizer
	buf []float32
}

// Apply ignores rng (preprocessing is deterministic).
func (w *worker) Apply(img data.Image, _ *augment.RNG, dst [][]float32) error {
	if len(dst) != 1 {
		return fmt.Errorf("preprocess: %d destination views, want 1", len(dst))
	}
	return w.imageTo(&w.s, dst[0], img)
}

func (w *worker) imageTo(s *Spec, dst []float32, img data.Image) error {
	if len(dst) != s.Size() {
		return fmt.Errorf("preprocess: destination has %d values, want %d", len(dst), s.Size())
	}
	if !img.Valid() || img.W <= 0 || img.H <= 0 {
		return fmt.Errorf("preprocess: invalid image %d×%d×%d with %d bytes", img.W, img.H, img.C, len(img.Pix))
	}
	img, err := img.ToChannels(s.Channels)
	if err != nil {
		return fmt.Errorf("preprocess: %w", err)
	}
	C, H, W := s.Channels, s.Height, s.Width
	n := H * W
	// Model channel c reads source channel src(c) and is normalised with Mean[c], Std[c].
	src := func(c int) int {
		if s.Order == BGR {
			return 2 - c
		}
		return c
	}
	const inv255 = 1.0 / 255
	if img.W == W && img.H == H {
		// The resampler's identity (weights of exactly 1): v·(1/255), then normalised as below.
		for c := 0; c < C; c++ {
			sc, mean, inv := src(c), s.Mean[c], 1/s.Std[c]
			out := dst[c*n : (c+1)*n]
			for i := range out {
				out[i] = (float32(img.Pix[i*C+sc])*inv255 - mean) * inv
			}
		}
		return nil
	}
	w.buf = growF(w.buf, C*n)
	w.rz.Resize(w.buf, img, W, H)
	for c := 0; c < C; c++ {
		sc, mean, inv := src(c), s.Mean[c], 1/s.Std[c]
		out, in := dst[c*n:(c+1)*n], w.buf[sc*n:(sc+1)*n]
		for i := range out {
			out[i] = (in[i] - mean) * inv
		}
	}
	return nil
}

func growF(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}
