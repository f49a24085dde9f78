package infer

import (
	"fmt"
	"math"

	"github.com/scl-dev/scl/data"
)

// Encoder couples a session with its preprocessing and the optional L2 normalisation of the
// features: the one definition of "an image's embedding" that scl embed and scl serve share.
// It is safe for concurrent use; it does not own the session.
type Encoder struct {
	Session    *Session
	Preprocess Preprocess
	Normalize  bool // L2-normalise each feature row
}

// Dim returns the feature dimension.
func (e *Encoder) Dim() int { return e.Session.Dim() }

// ImagesTo preprocesses imgs into x (len(imgs)·Preprocess.Size() values, reused as scratch
// when large enough; nil allocates) and writes their features to dst (len(imgs)·Dim()).
// It returns x so callers can keep the buffer.
func (e *Encoder) ImagesTo(dst []float32, imgs []data.Image, x []float32) ([]float32, error) {
	size := e.Preprocess.Size()
	if cap(x) < len(imgs)*size {
		x = make([]float32, len(imgs)*size)
	}
	x = x[:len(imgs)*size]
	for i, img := range imgs {
		if err := e.Preprocess.ImageTo(x[i*size:(i+1)*size], img); err != nil {
			return x, fmt.Errorf("image %d: %w", i, err)
		}
	}
	return x, e.RunTo(dst, x, len(imgs))
}

// RunTo runs n preprocessed images x and writes their (normalised, if asked) features to dst.
func (e *Encoder) RunTo(dst, x []float32, n int) error {
	if err := e.Session.RunTo(dst, x, n, e.Preprocess.Height, e.Preprocess.Width); err != nil {
		return err
	}
	if e.Normalize {
		NormalizeRows(dst, e.Dim())
	}
	return nil
}

// NormalizeRows scales each row of length d of x to unit Euclidean norm, in place:
//
//	x_i ← x_i / max(‖x_i‖₂, 1e-12)
//
// (the same ε as torch.nn.functional.normalize), so an all-zero row stays zero.
func NormalizeRows(x []float32, d int) {
	for r := 0; r+d <= len(x); r += d {
		var s float64
		for _, v := range x[r : r+d] {
			s += float64(v) * float64(v)
		}
		inv := float32(1 / math.Max(math.Sqrt(s), 1e-12))
		for i := r; i < r+d; i++ {
			x[i] *= inv
		}
	}
}

// OpenEncoder opens the model at path (see OpenSession), derives its preprocessing from the
// metadata and the overrides (see PreprocessFor) and returns the encoder. The caller must
// Close it.
func OpenEncoder(path string, cfg SessionConfig, o Overrides, normalize bool) (*Encoder, error) {
	s, err := OpenSession(path, cfg)
	if err != nil {
		return nil, err
	}
	p, err := PreprocessFor(s, o)
	if err != nil {
		s.Close()
		return nil, err
	}
	return &Encoder{Session: s, Preprocess: p, Normalize: normalize}, nil
}

// Close closes the encoder's session. Idempotent.
func (e *Encoder) Close() error { return e.Session.Close() }
