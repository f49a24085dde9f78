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

func FuzzDecodeSTL10(f *testing.F) {
	f.Add(make([]byte, stlImage), []byte{1, 10}, 2)
	f.Add([]byte{1, 2, 3}, []byte{0}, 1)
	f.Fuzz(func(t *testing.T, rec, labels []byte, n int) {
		if img, err := DecodeSTL10Image(rec, nil); err == nil && !img.Valid() {
			t.Fatalf("invalid image %dx%dx%d accepted", img.W, img.H, img.C)
		}
		if n < 0 || n > 1<<20 {
			return
		}
		if out, err := DecodeSTL10Labels(labels, "fuzz", n); err == nil {
			for i, l := range out {
				if l > 9 || labels[i] != l+1 {
					t.Fatalf("label %d decoded as %d", labels[i], l)
				}
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
