package augment

import "math"

// BlurKernelSize is the Gaussian blur kernel of SPEC §6 for view size s: int(0.1·s) rounded up
// to the next odd number (28 → 3, 32 → 3, 64 → 7, 96 → 9, 192 → 19).
func BlurKernelSize(s int) int {
	k := int(0.1 * float64(s))
	if k%2 == 0 {
		k++
	}
	return k
}

// GaussianKernel1D fills w (odd length k) with torchvision's 1-D Gaussian kernel: samples of
// exp(−x²/(2σ²)) at x = −(k−1)/2 … (k−1)/2, normalised to sum 1.
func GaussianKernel1D(w []float32, sigma float64) {
	k := len(w)
	half := float64(k-1) / 2
	var sum float64
	tmp := make([]float64, k)
	for i := range k {
		x := -half + float64(i)
		tmp[i] = math.Exp(-0.5 * (x / sigma) * (x / sigma))
		sum += tmp[i]
	}
	for i := range k {
		w[i] = float32(tmp[i] / sum)
	}
}

// reflect maps an index outside [0, n) into it by mirroring without repeating the edge
// (torch's "reflect" padding: −1 → 1, n → n−2), periodically for indices far outside.
func reflect(i, n int) int {
	if n == 1 {
		return 0
	}
	period := 2 * (n - 1)
	i %= period
	if i < 0 {
		i += period
	}
	if i >= n {
		i = period - i
	}
	return i
}

// blurrer holds the buffers of a separable Gaussian blur.
type blurrer struct {
	kernel []float32
	row    []float32
	tmp    []float32
	idx    []int
}

// blur convolves each w×h plane with the separable kernel (odd length), reflect padding, as
// torchvision's gaussian_blur (a 2-D convolution with the outer product of two 1-D kernels).
func (bl *blurrer) blur(planes [][]float32, w, h int, kernel []float32) {
	k := len(kernel)
	pad := k / 2
	bl.row = growF(bl.row, w+2*pad)
	bl.tmp = growF(bl.tmp, w*h)
	if cap(bl.idx) < h+2*pad {
		bl.idx = make([]int, h+2*pad)
	}
	idx := bl.idx[:h+2*pad]
	for i := range idx {
		idx[i] = reflect(i-pad, h)
	}
	row := bl.row
	tmp := bl.tmp
	for _, p := range planes {
		// horizontal pass into tmp
		for y := range h {
			src := p[y*w : (y+1)*w]
			copy(row[pad:pad+w], src)
			for i := range pad {
				row[pad-1-i] = src[reflect(-1-i, w)]
				row[pad+w+i] = src[reflect(w+i, w)]
			}
			dst := tmp[y*w : (y+1)*w]
			conv1(dst, row, kernel)
		}
		// vertical pass back into p
		for y := range h {
			dst := p[y*w : (y+1)*w]
			r := tmp[idx[y]*w : (idx[y]+1)*w]
			k0 := kernel[0]
			for x := range dst {
				dst[x] = k0 * r[x]
			}
			for j := 1; j < k; j++ {
				r := tmp[idx[y+j]*w : (idx[y+j]+1)*w]
				kj := kernel[j]
				for x := range dst {
					dst[x] += kj * r[x]
				}
			}
		}
	}
}

// conv1 computes dst[x] = Σ_j kernel[j]·src[x+j].
func conv1(dst, src, kernel []float32) {
	switch len(kernel) {
	case 3:
		k0, k1, k2 := kernel[0], kernel[1], kernel[2]
		src = src[:len(dst)+2]
		for x := range dst {
			dst[x] = k0*src[x] + k1*src[x+1] + k2*src[x+2]
		}
		return
	}
	for x := range dst {
		s := src[x : x+len(kernel)]
		var acc float32
		for j, kv := range kernel {
			acc += kv * s[j]
		}
		dst[x] = acc
	}
}
