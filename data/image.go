package data

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
)

// Image is an 8-bit image stored row by row, channels interleaved: the value of channel c at
// row y, column x is Pix[(y*W+x)*C+c]. C is 1 (grey) or 3 (RGB).
type Image struct {
	W, H, C int
	Pix     []uint8
}

// Valid reports whether the image's sizes are consistent.
func (m Image) Valid() bool {
	return m.W > 0 && m.H > 0 && (m.C == 1 || m.C == 3) && len(m.Pix) == m.W*m.H*m.C
}

// Grey weights of ITU-R 601-2 luma, as PIL's convert("L") and torchvision's rgb_to_grayscale.
const (
	GreyR = 0.299
	GreyG = 0.587
	GreyB = 0.114
)

// ToChannels returns the image with c channels: grey is replicated to three channels, RGB is
// reduced to grey with the weights (0.299, 0.587, 0.114), rounded. An image that already has c
// channels is returned as is (sharing Pix).
func (m Image) ToChannels(c int) (Image, error) {
	if c != 1 && c != 3 {
		return Image{}, fmt.Errorf("data: channels %d, want 1 or 3", c)
	}
	if m.C == c {
		return m, nil
	}
	n := m.W * m.H
	out := Image{W: m.W, H: m.H, C: c, Pix: make([]uint8, n*c)}
	if c == 3 {
		for i, v := range m.Pix[:n] {
			out.Pix[3*i], out.Pix[3*i+1], out.Pix[3*i+2] = v, v, v
		}
		return out, nil
	}
	for i := range n {
		p := m.Pix[3*i : 3*i+3]
		g := GreyR*float32(p[0]) + GreyG*float32(p[1]) + GreyB*float32(p[2])
		out.Pix[i] = uint8(g + 0.5)
	}
	return out, nil
}

// MaxPixels bounds width×height of images accepted by the decoders (the header is checked before
// any pixel memory is allocated). 2^28 pixels is larger than any photograph scl expects.
const MaxPixels = 1 << 28

// ErrFormat is wrapped by every decoding error caused by malformed input.
var ErrFormat = errors.New("data: malformed input")

// ImageSize reads the width and height from a JPEG or PNG image's header, without decoding
// pixels.
func ImageSize(b []byte) (w, h int, err error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return 0, 0, fmt.Errorf("%w: image header: %v", ErrFormat, err)
	}
	if format != "jpeg" && format != "png" {
		return 0, 0, fmt.Errorf("%w: image format %q, want jpeg or png", ErrFormat, format)
	}
	return cfg.Width, cfg.Height, nil
}

// DecodeImage decodes a JPEG or PNG image. Grey images come back with one channel, everything
// else with three (alpha is dropped, as PIL's convert("RGB") does). Dimensions are checked
// against MaxPixels before decoding.
func DecodeImage(b []byte) (Image, error) { return DecodeImageLimit(b, MaxPixels) }

// DecodeImageLimit is DecodeImage with a custom bound on width×height.
func DecodeImageLimit(b []byte, maxPixels int64) (Image, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return Image{}, fmt.Errorf("%w: image header: %v", ErrFormat, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return Image{}, fmt.Errorf("%w: image size %dx%d, want 1..%d pixels", ErrFormat, cfg.Width, cfg.Height, maxPixels)
	}
	var img image.Image
	switch format {
	case "jpeg":
		img, err = jpeg.Decode(bytes.NewReader(b))
	case "png":
		img, err = png.Decode(bytes.NewReader(b))
	default:
		return Image{}, fmt.Errorf("%w: image format %q, want jpeg or png", ErrFormat, format)
	}
	if err != nil {
		return Image{}, fmt.Errorf("%w: %s: %v", ErrFormat, format, err)
	}
	return FromImage(img), nil
}

// DecodeImageReader is DecodeImage on the bytes of r, reading at most maxBytes (0: 1 GiB).
func DecodeImageReader(r io.Reader, maxBytes int64) (Image, error) {
	if maxBytes <= 0 {
		maxBytes = 1 << 30
	}
	b, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return Image{}, fmt.Errorf("data: read image: %w", err)
	}
	if int64(len(b)) > maxBytes {
		return Image{}, fmt.Errorf("%w: image larger than %d bytes", ErrFormat, maxBytes)
	}
	return DecodeImage(b)
}

// FromImage converts a standard library image to an Image: grey models give one channel,
// all others three (alpha dropped, colours un-premultiplied).
func FromImage(img image.Image) Image {
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	switch src := img.(type) {
	case *image.Gray:
		out := Image{W: w, H: h, C: 1, Pix: make([]uint8, w*h)}
		for y := range h {
			o := src.PixOffset(r.Min.X, r.Min.Y+y)
			copy(out.Pix[y*w:(y+1)*w], src.Pix[o:o+w])
		}
		return out
	case *image.Gray16:
		out := Image{W: w, H: h, C: 1, Pix: make([]uint8, w*h)}
		for y := range h {
			for x := range w {
				out.Pix[y*w+x] = uint8(src.Gray16At(r.Min.X+x, r.Min.Y+y).Y >> 8)
			}
		}
		return out
	case *image.YCbCr:
		out := Image{W: w, H: h, C: 3, Pix: make([]uint8, w*h*3)}
		for y := range h {
			for x := range w {
				yi := src.YOffset(r.Min.X+x, r.Min.Y+y)
				ci := src.COffset(r.Min.X+x, r.Min.Y+y)
				rr, gg, bb := color.YCbCrToRGB(src.Y[yi], src.Cb[ci], src.Cr[ci])
				p := out.Pix[(y*w+x)*3:]
				p[0], p[1], p[2] = rr, gg, bb
			}
		}
		return out
	case *image.NRGBA:
		out := Image{W: w, H: h, C: 3, Pix: make([]uint8, w*h*3)}
		for y := range h {
			o := src.PixOffset(r.Min.X, r.Min.Y+y)
			row := src.Pix[o : o+4*w]
			for x := range w {
				p := out.Pix[(y*w+x)*3:]
				p[0], p[1], p[2] = row[4*x], row[4*x+1], row[4*x+2]
			}
		}
		return out
	case *image.RGBA: // 8-bit truecolour PNG: alpha-premultiplied, usually opaque
		out := Image{W: w, H: h, C: 3, Pix: make([]uint8, w*h*3)}
		for y := range h {
			o := src.PixOffset(r.Min.X, r.Min.Y+y)
			row := src.Pix[o : o+4*w]
			for x := range w {
				p := out.Pix[(y*w+x)*3:]
				p[0], p[1], p[2] = unpremultiply(row[4*x], row[4*x+1], row[4*x+2], row[4*x+3])
			}
		}
		return out
	case *image.Paletted: // paletted PNG: convert the palette once, then look pixels up
		var lut [256][3]uint8
		for i, c := range src.Palette {
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			lut[i] = [3]uint8{n.R, n.G, n.B}
		}
		out := Image{W: w, H: h, C: 3, Pix: make([]uint8, w*h*3)}
		for y := range h {
			o := src.PixOffset(r.Min.X, r.Min.Y+y)
			for x, idx := range src.Pix[o : o+w] {
				p := out.Pix[(y*w+x)*3:]
				c := lut[idx] // indices beyond the palette read as black, as At does
				p[0], p[1], p[2] = c[0], c[1], c[2]
			}
		}
		return out
	}
	out := Image{W: w, H: h, C: 3, Pix: make([]uint8, w*h*3)}
	for y := range h {
		for x := range w {
			c := color.NRGBAModel.Convert(img.At(r.Min.X+x, r.Min.Y+y)).(color.NRGBA)
			p := out.Pix[(y*w+x)*3:]
			p[0], p[1], p[2] = c.R, c.G, c.B
		}
	}
	return out
}

// unpremultiply is color.NRGBAModel's conversion of one alpha-premultiplied 8-bit pixel.
func unpremultiply(r, g, b, a uint8) (uint8, uint8, uint8) {
	switch a {
	case 0xff:
		return r, g, b
	case 0:
		return 0, 0, 0
	}
	a16 := uint32(a) * 0x101
	f := func(v uint8) uint8 { return uint8((uint32(v) * 0x101 * 0xffff / a16) >> 8) }
	return f(r), f(g), f(b)
}

// ToStd converts an Image to a standard library image (*image.Gray or *image.NRGBA), e.g. for
// encoding as PNG.
func (m Image) ToStd() image.Image {
	if m.C == 1 {
		g := image.NewGray(image.Rect(0, 0, m.W, m.H))
		copy(g.Pix, m.Pix)
		return g
	}
	out := image.NewNRGBA(image.Rect(0, 0, m.W, m.H))
	for i := range m.W * m.H {
		out.Pix[4*i], out.Pix[4*i+1], out.Pix[4*i+2], out.Pix[4*i+3] = m.Pix[3*i], m.Pix[3*i+1], m.Pix[3*i+2], 255
	}
	return out
}
