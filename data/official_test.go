package data

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeJPEG writes a solid 8×8 JPEG whose red value is 10·id, so that tests can tell which file
// an item was read from.
func writeJPEG(t *testing.T, path string, id int) {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 64 {
		m.Set(i%8, i/8, color.RGBA{uint8(10 * id), 128, 64, 255})
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, b.Bytes())
}

// checkItems checks labels and that item i was read from the file written with ids[i].
func checkItems(t *testing.T, ds Dataset, labels, ids []int) {
	t.Helper()
	if ds.Len() != len(labels) {
		t.Fatalf("%d items, want %d", ds.Len(), len(labels))
	}
	if got := Labels(ds); !slices.Equal(got, labels) {
		t.Errorf("labels %v, want %v", got, labels)
	}
	for i, id := range ids {
		img, err := ds.Image(i)
		if err != nil {
			t.Fatal(err)
		}
		// JPEG at quality 100 keeps a solid colour within a few levels.
		if r := int(img.Pix[0]); r < 10*id-3 || r > 10*id+3 {
			t.Errorf("item %d (%s): red %d, want about %d (file %d)", i, ds.ID(i), r, 10*id, id)
		}
	}
}

func TestFood101(t *testing.T) {
	root := filepath.Join(t.TempDir(), "food-101")
	writeFile(t, filepath.Join(root, "meta", "classes.txt"), []byte("apple_pie\nbaby_back_ribs\ncaesar_salad\n"))
	writeFile(t, filepath.Join(root, "meta", "train.txt"), []byte("apple_pie/101\ncaesar_salad/7\nbaby_back_ribs/3\n"))
	writeFile(t, filepath.Join(root, "meta", "test.txt"), []byte("caesar_salad/9\n"))
	for id, f := range map[int]string{1: "apple_pie/101", 2: "caesar_salad/7", 3: "baby_back_ribs/3", 4: "caesar_salad/9"} {
		writeJPEG(t, filepath.Join(root, "images", f+".jpg"), id)
	}
	ds, err := Open(Source{Name: "food101", Split: "train", Dir: filepath.Dir(root)})
	if err != nil {
		t.Fatal(err)
	}
	checkItems(t, ds, []int{0, 2, 1}, []int{1, 2, 3})
	if ds.Info().NumClasses() != 3 || ds.Info().ImageSize != 192 {
		t.Errorf("info %+v", ds.Info())
	}
	test, err := Open(Source{Name: "food101", Split: "test", Dir: root})
	if err != nil {
		t.Fatal(err)
	}
	checkItems(t, test, []int{2}, []int{4})

	writeFile(t, filepath.Join(root, "meta", "test.txt"), []byte("pizza/1\n"))
	if _, err := OpenFood101(root, "test"); err == nil || !strings.Contains(err.Error(), `test.txt line 1: "pizza/1"`) {
		t.Errorf("unknown class: got %v", err)
	}
	if _, err := OpenFood101(root, "val"); err == nil {
		t.Error("split val: no error")
	}
}

func TestTinyImageNet(t *testing.T) {
	root := filepath.Join(t.TempDir(), "tiny-imagenet-200")
	writeFile(t, filepath.Join(root, "wnids.txt"), []byte("n02\nn01\n"))
	writeFile(t, filepath.Join(root, "words.txt"), []byte("n01\tgoldfish, Carassius auratus\nn02\tEuropean fire salamander\nn99\tunused\n"))
	writeJPEG(t, filepath.Join(root, "train", "n01", "images", "n01_0.JPEG"), 1)
	writeJPEG(t, filepath.Join(root, "train", "n01", "images", "n01_1.JPEG"), 2)
	writeJPEG(t, filepath.Join(root, "train", "n02", "images", "n02_0.JPEG"), 3)
	writeFile(t, filepath.Join(root, "train", "n02", "n02_boxes.txt"), []byte("n02_0.JPEG\t0\t0\t8\t8\n"))
	writeJPEG(t, filepath.Join(root, "val", "images", "val_0.JPEG"), 4)
	writeJPEG(t, filepath.Join(root, "val", "images", "val_1.JPEG"), 5)
	writeFile(t, filepath.Join(root, "val", "val_annotations.txt"), []byte("val_0.JPEG\tn02\t0\t0\t8\t8\nval_1.JPEG\tn01\t1\t1\t7\t7\n"))
	writeJPEG(t, filepath.Join(root, "test", "images", "test_0.JPEG"), 6)

	ds, err := Open(Source{Name: "tiny_imagenet", Split: "train", Dir: filepath.Dir(root)})
	if err != nil {
		t.Fatal(err)
	}
	checkItems(t, ds, []int{0, 0, 1}, []int{1, 2, 3})
	if got := ds.Info().Classes; !slices.Equal(got, []string{"n01 goldfish", "n02 European fire salamander"}) || ds.Info().ImageSize != 64 {
		t.Errorf("classes %q, image size %d", got, ds.Info().ImageSize)
	}
	for _, split := range []string{"val", "validation"} {
		val, err := Open(Source{Name: "tiny_imagenet", Split: split, Dir: root})
		if err != nil {
			t.Fatal(err)
		}
		checkItems(t, val, []int{1, 0}, []int{4, 5})
	}
	test, err := OpenTinyImageNet(root, "test")
	if err != nil {
		t.Fatal(err)
	}
	checkItems(t, test, []int{-1}, []int{6})

	writeFile(t, filepath.Join(root, "val", "val_annotations.txt"), []byte("val_0.JPEG\tn77\t0\t0\t8\t8\n"))
	if _, err := OpenTinyImageNet(root, "val"); err == nil || !strings.Contains(err.Error(), "val_annotations.txt line 1") {
		t.Errorf("unknown wnid: got %v", err)
	}
}

func TestImageNetVal(t *testing.T) {
	base := t.TempDir()
	val := filepath.Join(base, "ILSVRC", "Data", "CLS-LOC", "val")
	csv := "ImageId,PredictionString\n" +
		"ILSVRC2012_val_00000002,n01443537 1 2 3 4 n01443537 5 6 7 8\n" +
		"ILSVRC2012_val_00000001,n01440764 1 2 3 4\n" +
		"ILSVRC2012_val_00000003,n01484850 0 0 5 5\n"
	writeFile(t, filepath.Join(base, "ILSVRC", "Data", ImageNetValSolution), []byte(csv))
	for i := 1; i <= 3; i++ {
		writeJPEG(t, filepath.Join(val, fmt.Sprintf("ILSVRC2012_val_%08d.JPEG", i)), i)
	}
	ds, err := Open(Source{Name: "imagenet1k", Split: "val", Dir: val})
	if err != nil {
		t.Fatal(err)
	}
	// Without LOC_synset_mapping.txt the classes are the sorted wnids of the CSV.
	checkItems(t, ds, []int{0, 1, 2}, []int{1, 2, 3})
	if got := ds.Info().Classes; !slices.Equal(got, []string{"n01440764", "n01443537", "n01484850"}) {
		t.Errorf("classes %v", got)
	}
	writeFile(t, filepath.Join(base, "ILSVRC", "Data", "LOC_synset_mapping.txt"),
		[]byte("n01440764 tench, Tinca tinca\nn01443537 goldfish, Carassius auratus\nn01484850 great white shark\nn01491361 tiger shark\n"))
	ds, err = OpenImageNetVal(val, "val")
	if err != nil {
		t.Fatal(err)
	}
	checkItems(t, ds, []int{0, 1, 2}, []int{1, 2, 3})
	if ds.Info().NumClasses() != 4 || ds.Info().Classes[1] != "n01443537 goldfish" {
		t.Errorf("classes %v", ds.Info().Classes)
	}
	// Class folders keep working as a labeled folder.
	sorted := t.TempDir()
	writeJPEG(t, filepath.Join(sorted, "n01440764", "a.JPEG"), 1)
	writeJPEG(t, filepath.Join(sorted, "n01443537", "b.JPEG"), 2)
	ds, err = Open(Source{Name: "imagenet1k", Split: "val", Dir: sorted})
	if err != nil {
		t.Fatal(err)
	}
	checkItems(t, ds, []int{0, 1}, []int{1, 2})

	writeFile(t, filepath.Join(base, "ILSVRC", "Data", ImageNetValSolution), []byte("Id,Label\nx,y\n"))
	if _, err := OpenImageNetVal(val, "val"); err == nil || !strings.Contains(err.Error(), "want ImageId,PredictionString") {
		t.Errorf("bad header: got %v", err)
	}
}

// TestOfficialTruncated cuts the annotation files at every length: each cut either fails with an
// error naming the file or lists only whole, known entries; nothing panics.
func TestOfficialTruncated(t *testing.T) {
	root := filepath.Join(t.TempDir(), "tiny-imagenet-200")
	writeFile(t, filepath.Join(root, "wnids.txt"), []byte("n01\nn02\n"))
	writeJPEG(t, filepath.Join(root, "val", "images", "val_0.JPEG"), 1)
	writeJPEG(t, filepath.Join(root, "val", "images", "val_1.JPEG"), 2)
	ann := "val_0.JPEG\tn02\t0\t0\t8\t8\nval_1.JPEG\tn01\t1\t1\t7\t7\n"
	for n := 0; n <= len(ann); n++ {
		writeFile(t, filepath.Join(root, "val", "val_annotations.txt"), []byte(ann[:n]))
		ds, err := OpenTinyImageNet(root, "val")
		if err != nil {
			if !strings.Contains(err.Error(), "val_annotations.txt") && !strings.Contains(err.Error(), "no images listed") {
				t.Fatalf("cut at %d: error %v does not name the file", n, err)
			}
			continue
		}
		for i := 0; i < ds.Len(); i++ {
			if _, err := ds.Image(i); err != nil {
				t.Fatalf("cut at %d: item %d: %v", n, i, err)
			}
		}
	}
	val := t.TempDir()
	writeJPEG(t, filepath.Join(val, "ILSVRC2012_val_00000001.JPEG"), 1)
	csv := "ImageId,PredictionString\nILSVRC2012_val_00000001,n01440764 1 2 3 4\n"
	for n := 0; n <= len(csv); n++ {
		writeFile(t, filepath.Join(val, ImageNetValSolution), []byte(csv[:n]))
		if ds, err := OpenImageNetVal(val, "val"); err == nil && ds.Len() != 1 {
			t.Fatalf("cut at %d: %d items", n, ds.Len())
		}
	}
}
