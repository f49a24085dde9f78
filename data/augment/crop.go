package augment

import (
	"math"

	"github.com/scl-dev/scl/data"
)

// Crop is a rectangle of an image: top row I, left column J, height H, width W.
type Crop struct{ I, J, H, W int }

// CropParams draws a RandomResizedCrop rectangle for a width×height image exactly as
// torchvision's RandomResizedCrop.get_params: up to 10 tries of
//
//	area fraction a ~ U(scale[0], scale[1]),  aspect r = exp(U(log ratio[0], log ratio[1])),
//	w = round(√(A·a·r)), h = round(√(A·a/r))   (round half to even, as Python's round)
//
// accepting the first with 0 < w ≤ width and 0 < h ≤ height, its position uniform over the
// valid offsets. When all ten fail it falls back to a central crop: the whole image when its
// aspect lies within ratio, else the largest central crop with the nearest bound's aspect.
func CropParams(rng *RNG, width, height int, scale, ratio [2]float64) Crop {
	area := float64(width * height)
	logLo, logHi := math.Log(ratio[0]), math.Log(ratio[1])
	for range 10 {
		target := area * rng.Uniform(scale[0], scale[1])
		aspect := math.Exp(rng.Uniform(logLo, logHi))
		w := int(math.RoundToEven(math.Sqrt(target * aspect)))
		h := int(math.RoundToEven(math.Sqrt(target / aspect)))
		if 0 < w && w <= width && 0 < h && h <= height {
			i := rng.Intn(height - h + 1)
			j := rng.Intn(width - w + 1)
			return Crop{I: i, J: j, H: h, W: w}
		}
	}
	inRatio := float64(width) / float64(height)
	w, h := width, height
	switch {
	case inRatio < math.Min(ratio[0], ratio[1]):
		h = int(math.RoundToEven(float64(w) / math.Min(ratio[0], ratio[1])))
	case inRatio > math.Max(ratio[0], ratio[1]):
		w = int(math.RoundToEven(float64(h) * math.Max(ratio[0], ratio[1])))
	}
	return Crop{I: (height - h) / 2, J: (width - w) / 2, H: h, W: w}
}

// taps are the precomputed weights of a 1-D resampling: output o reads inputs
// start[o] .. start[o]+n[o]-1 with weights w[o*k : o*k+n[o]].
type taps struct {
	start, n []int32
	w        []float32
	k        int
	tmp      []float64
}

// bilinearTaps computes PIL's antialiased bilinear resampling weights (ImagingResample's
// precompute_coeffs with the triangle filter) for the input range [in0, in0+inLen) of a line,
// resized to out samples: the filter support widens by the scale factor when shrinking. With
// mirror, output o takes the weights of output out-1-o (a horizontal flip of the result).
func (t *taps) bilinearTaps(in0, inLen, out int, mirror bool) {
	scale := float64(inLen) / float64(out)
	filterScale := math.Max(scale, 1)
	support := 1.0 * filterScale
	k := int(math.Ceil(support))*2 + 1
	t.k = k
	t.start = grow32(t.start, out)
	t.n = grow32(t.n, out)
	t.w = growF(t.w, out*k)
	inv := 1 / filterScale
	for o := range out {
		center := (float64(o) + 0.5) * scale
		lo := int(center - support + 0.5)
		if lo < 0 {
			lo = 0
		}
		hi := int(center + support + 0.5)
		if hi > inLen {
			hi = inLen
		}
		dst := o
		if mirror {
			dst = out - 1 - o
		}
		ws := t.w[dst*k : dst*k+k]
		var sum float64
		n := hi - lo
		if cap(t.tmp) < n {
			t.tmp = make([]float64, n)
		}
		tmp := t.tmp[:n]
		for x := range n {
			v := 1 - math.Abs((float64(x+lo)-center+0.5)*inv)
			if v < 0 {
				v = 0
			}
			tmp[x] = v
			sum += v
		}
		// Drop taps of zero weight at both ends (upscaling has at most two non-zero taps).
		first, last := 0, n
		for first < last-1 && tmp[first] == 0 {
			first++
		}
		for last > first+1 && tmp[last-1] == 0 {
			last--
		}
		for x := first; x < last; x++ {
			if sum != 0 {
				ws[x-first] = float32(tmp[x] / sum)
			} else {
				ws[x-first] = 0
			}
		}
		t.start[dst] = int32(lo + first + in0)
		t.n[dst] = int32(last - first)
	}
}

func grow32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

func growF(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// Resizer resamples whole images with PIL's antialiased bilinear filter, the project's one
// resize (views, evaluation and inference inputs). It keeps its buffers between calls; not safe
// for concurrent use.
type Resizer struct{ rz resizer }

// Resize writes img resized to ow×oh into dst: img.C float32 planes of ow·oh values on the
// 0..1 scale (plane p at dst[p*ow*oh:]).
func (r *Resizer) Resize(dst []float32, img data.Image, ow, oh int) {
	r.rz.resizeTo(dst, img, Crop{W: img.W, H: img.H}, ow, oh, false)
}

// resizer holds the buffers of ResizeTo.
type resizer struct {
	h, v taps
	tmp  []float32
}

// resizeTo resamples crop c of img to an ow×oh image of nc = img.C float32 planes (values on the
// 0..1 scale, plane p at dst[p*ow*oh:]), with PIL's antialiased bilinear filter; mirror flips it
// horizontally. Horizontal pass first over the rows the vertical pass needs, as PIL does.
func (rz *resizer) resizeTo(dst []float32, img data.Image, c Crop, ow, oh int, mirror bool) {
	rz.h.bilinearTaps(c.J, c.W, ow, mirror)
	rz.v.bilinearTaps(c.I, c.H, oh, false)
	// rows needed by the vertical pass
	r0 := int(rz.v.start[0])
	r1 := r0
	for o := range oh {
		if e := int(rz.v.start[o] + rz.v.n[o]); e > r1 {
			r1 = e
		}
		if s := int(rz.v.start[o]); s < r0 {
			r0 = s
		}
	}
	rows := r1 - r0
	C := img.C
	rz.tmp = growF(rz.tmp, C*rows*ow)
	tmp := rz.tmp
	const inv255 = 1.0 / 255
	hk := rz.h.k
	for y := range rows {
		line := img.Pix[(r0+y)*img.W*C : (r0+y+1)*img.W*C]
		if C == 1 {
			out := tmp[y*ow : (y+1)*ow]
			for o := range out {
				s := int(rz.h.start[o])
				n := int(rz.h.n[o])
				ws := rz.h.w[o*hk : o*hk+n]
				src := line[s : s+n]
				var acc float32
				for k, w := range ws {
					acc += w * float32(src[k])
				}
				out[o] = acc * inv255
			}
			continue
		}
		o0 := tmp[(0*rows+y)*ow : (0*rows+y+1)*ow]
		o1 := tmp[(1*rows+y)*ow : (1*rows+y+1)*ow]
		o2 := tmp[(2*rows+y)*ow : (2*rows+y+1)*ow]
		for o := range o0 {
			s := int(rz.h.start[o])
			n := int(rz.h.n[o])
			ws := rz.h.w[o*hk : o*hk+n]
			src := line[3*s : 3*(s+n)]
			var a0, a1, a2 float32
			for k, w := range ws {
				p := src[3*k : 3*k+3]
				a0 += w * float32(p[0])
				a1 += w * float32(p[1])
				a2 += w * float32(p[2])
			}
			o0[o], o1[o], o2[o] = a0*inv255, a1*inv255, a2*inv255
		}
	}
	vk := rz.v.k
	plane := ow * oh
	for p := range C {
		src := tmp[p*rows*ow : (p+1)*rows*ow]
		out := dst[p*plane : (p+1)*plane]
		for o := range oh {
			s := int(rz.v.start[o]) - r0
			n := int(rz.v.n[o])
			ws := rz.v.w[o*vk : o*vk+n]
			row := out[o*ow : (o+1)*ow]
			r := src[s*ow : (s+1)*ow]
			w0 := ws[0]
			for x := range row {
				row[x] = w0 * r[x]
			}
			for k := 1; k < n; k++ {
				r := src[(s+k)*ow : (s+k+1)*ow]
				w := ws[k]
				for x := range row {
					row[x] += w * r[x]
				}
			}
		}
	}
}
