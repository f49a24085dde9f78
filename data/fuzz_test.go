package data

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"testing"
)

// The fuzz targets check that decoders never panic and never allocate more than a bounded
// multiple of their input (a lying header must not cost memory). Seed corpora run as part of
// `go test`; explore with e.g. `go test ./data -run '^$' -fuzz FuzzReadIDX -fuzztime 1m`.

func FuzzReadIDX(f *testing.F) {
	f.Add([]byte{0, 0, 8, 1, 0, 0, 0, 2, 7, 9})
	f.Add([]byte{0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4})
	f.Add([]byte{0, 0, 8, 2, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff})
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ReadIDX(bytes.NewReader(b), "fuzz")
		if err != nil {
			return
		}
		total := 1
		for _, d := range m.Dims {
			total *= d
		}
		if total != len(m.Data) {
			t.Fatalf("dims %v with %d bytes of data", m.Dims, len(m.Data))
		}
		if len(b) < 3 || b[0] != 0x1f { // uncompressed: the payload came from the input
			if len(m.Data) > len(b) {
				t.Fatalf("payload %d bytes from %d input bytes", len(m.Data), len(b))
			}
		}
	})
}

func FuzzDecodeCIFAR10(f *testing.F) {
	rec := make([]byte, cifarRecord)
	rec[0] = 3
	f.Add(rec)
	f.Add(append(append([]byte{}, rec...), 1, 2, 3))
	f.Add([]byte{11})
	f.Fuzz(func(t *testing.T, b []byte) {
		pix, labels, err := DecodeCIFAR10(b, "fuzz")
		if err != nil {
			return
		}
		if len(labels)*cifarRecord != len(b) || len(pix) != len(labels)*3*32*32 {
			t.Fatalf("%d labels and %d pixels from %d bytes", len(labels), len(pix), len(b))
		}
		for _, l := range labels {
			if l > 9 {
				t.Fatalf("label %d accepted", l)
			}
		}
	})
}

// FuzzDecodeSTL10 keeps its inputs small so that the fuzzer runs thousands of executions a
// second: the record is the input tiled to the 27,648 bytes of an image plus a length
// adjustment (so wrong lengths are tried too), checked pixel by pixel against the layout
// (three column-major planes); the labels are the input itself with a count near its length.
func FuzzDecodeSTL10(f *testing.F) {
	f.Add([]byte{1, 2, 3}, int8(0), []byte{1, 10}, int8(0))
	f.Add([]byte{0}, int8(1), []byte{0}, int8(0))
	f.Add([]byte{255, 7}, int8(-1), []byte{5, 11, 3}, int8(-1))
	f.Fuzz(func(t *testing.T, tile []byte, adjust int8, labels []byte, dn int8) {
		if len(tile) > 0 {
			rec := make([]byte, stlImage+int(adjust))
			for i := range rec {
				rec[i] = tile[i%len(tile)]
			}
			img, err := DecodeSTL10Image(rec, nil)
			if (err == nil) != (adjust == 0) {
				t.Fatalf("record of %d bytes: error %v", len(rec), err)
			}
			if err == nil {
				if !img.Valid() {
					t.Fatalf("invalid image %dx%dx%d accepted", img.W, img.H, img.C)
				}
				for c := range 3 {
					for x := range stlSide {
						for y := range stlSide {
							if got, want := img.Pix[(y*stlSide+x)*3+c], rec[c*stlSide*stlSide+x*stlSide+y]; got != want {
								t.Fatalf("pixel (%d,%d,%d): got %d, want %d", x, y, c, got, want)
							}
						}
					}
				}
			}
		}
		n := len(labels) + int(dn)%3
		if n < 0 {
			return
		}
		out, err := DecodeSTL10Labels(labels, "fuzz", n)
		valid := n == len(labels)
		for _, l := range labels {
			valid = valid && l >= 1 && l <= 10
		}
		if (err == nil) != valid {
			t.Fatalf("labels %v with n=%d: error %v, want valid=%v", labels, n, err, valid)
		}
		for i, l := range out {
			if labels[i] != l+1 {
				t.Fatalf("label %d decoded as %d", labels[i], l)
			}
		}
	})
}

func FuzzDecodeImage(f *testing.F) {
	var b bytes.Buffer
	png.Encode(&b, testRGBA(3, 2, 5))
	f.Add(b.Bytes())
	b.Reset()
	jpeg.Encode(&b, testRGBA(9, 7, 1), nil)
	f.Add(b.Bytes())
	b.Reset()
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 2, 2)))
	f.Add(b.Bytes())
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x7f\xff\xff\xff\x7f\xff\xff\xff\x08\x02\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		// A small pixel bound keeps each execution fast; the check it exercises is the same.
		img, err := DecodeImageLimit(b, 1<<20)
		if err == nil && !img.Valid() {
			t.Fatalf("invalid image %dx%dx%d with %d bytes accepted", img.W, img.H, img.C, len(img.Pix))
		}
	})
}
