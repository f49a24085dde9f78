package data

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Readers of the official archives' layouts (as extracted from their downloads):
//
//	food101        food-101/images/<class>/<id>.jpg, meta/classes.txt, meta/train.txt and
//	               meta/test.txt (one "<class>/<id>" per line)
//	tiny_imagenet  tiny-imagenet-200/wnids.txt, words.txt, train/<wnid>/images/*.JPEG,
//	               val/images/*.JPEG with val/val_annotations.txt (file, wnid, box),
//	               test/images/*.JPEG (unlabeled)
//	imagenet1k     the validation images in one flat folder with LOC_val_solution.csv (ImageId,
//	               PredictionString starting with the wnid), class order from
//	               LOC_synset_mapping.txt when present, else the sorted wnids; or sorted into class
//	               folders (read as a labeled folder)

// maxListFile bounds the annotation and list files read whole (ImageNet's solution CSV is 10 MB).
const maxListFile = 64 << 20

// readSmallFile reads a file of at most maxListFile bytes.
func readSmallFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	if st.Size() > maxListFile {
		return nil, fmt.Errorf("%w: %s: size %d bytes, want at most %d", ErrFormat, path, st.Size(), maxListFile)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	return b, nil
}

// readNameList returns the non-empty lines of a text file, trimmed; nil, nil when the file does
// not exist.
func readNameList(path string) ([]string, error) {
	if !fileExists(path) {
		return nil, nil
	}
	b, err := readSmallFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out, nil
}

// labeledFiles builds a Folder from listed files and labels.
func labeledFiles(name, split, root string, files []string, labels []int32, classes []string) (*Folder, error) {
	if len(files) == 0 {
		return nil, fmt.Errorf("data: %s %s: no images listed under %s", name, split, root)
	}
	d := &Folder{root: root, files: files, labels: labels}
	d.info = Info{Name: name, Split: split, Classes: classes, ImageSize: ImageSizeFor(name)}
	return d, nil
}

// food101Root returns the folder holding meta/classes.txt (dir or dir/food-101), or "".
func food101Root(dir string) string {
	r := findSubdir(dir, filepath.Join("meta", "classes.txt"), "food-101")
	if fileExists(filepath.Join(r, "meta", "classes.txt")) {
		return r
	}
	return ""
}

// OpenFood101 reads split "train" (75,750 images) or "test" (25,250) of Food-101's official
// layout under dir (or dir/food-101).
func OpenFood101(dir, split string) (*Folder, error) {
	if split != "train" && split != "test" {
		return nil, fmt.Errorf("data: food101 split %q, want train or test", split)
	}
	root := food101Root(dir)
	if root == "" {
		return nil, fmt.Errorf("data: food101: %s has no meta/classes.txt (want the official food-101 layout)", dir)
	}
	classes, err := readNameList(filepath.Join(root, "meta", "classes.txt"))
	if err != nil {
		return nil, err
	}
	index := map[string]int32{}
	for i, c := range classes {
		index[c] = int32(i)
	}
	listPath := filepath.Join(root, "meta", split+".txt")
	items, err := readNameList(listPath)
	if err != nil {
		return nil, err
	}
	if items == nil {
		return nil, fmt.Errorf("data: food101: %s not found", listPath)
	}
	files := make([]string, len(items))
	labels := make([]int32, len(items))
	for i, it := range items {
		class, _, ok := strings.Cut(it, "/")
		c, known := index[class]
		if !ok || !known {
			return nil, fmt.Errorf("%w: %s line %d: %q, want <class>/<id> with a class of meta/classes.txt", ErrFormat, listPath, i+1, it)
		}
		files[i] = filepath.Join("images", filepath.FromSlash(it)+".jpg")
		labels[i] = c
	}
	return labeledFiles("food101", split, root, files, labels, classes)
}

// tinyImageNetRoot returns the folder holding wnids.txt (dir or dir/tiny-imagenet-200), or "".
func tinyImageNetRoot(dir string) string {
	r := findSubdir(dir, "wnids.txt", "tiny-imagenet-200")
	if fileExists(filepath.Join(r, "wnids.txt")) {
		return r
	}
	return ""
}

// OpenTinyImageNet reads split "train" (100,000 images), "val"/"validation" (10,000) or "test"
// (10,000, unlabeled) of Tiny ImageNet's official layout under dir (or dir/tiny-imagenet-200).
// Classes are the wnids in sorted order (as an image folder of train/ would give), each followed
// by its first name from words.txt: "n01443537 goldfish".
func OpenTinyImageNet(dir, split string) (*Folder, error) {
	root := tinyImageNetRoot(dir)
	if root == "" {
		return nil, fmt.Errorf("data: tiny_imagenet: %s has no wnids.txt (want the official tiny-imagenet-200 layout)", dir)
	}
	wnids, err := readNameList(filepath.Join(root, "wnids.txt"))
	if err != nil {
		return nil, err
	}
	sort.Strings(wnids)
	names := map[string]string{}
	if words, err := readNameList(filepath.Join(root, "words.txt")); err != nil {
		return nil, err
	} else {
		for _, l := range words {
			id, name, ok := strings.Cut(l, "\t")
			if ok {
				first, _, _ := strings.Cut(name, ",")
				names[id] = strings.TrimSpace(first)
			}
		}
	}
	index := map[string]int32{}
	classes := make([]string, len(wnids))
	for i, w := range wnids {
		index[w] = int32(i)
		classes[i] = w
		if n := names[w]; n != "" {
			classes[i] = w + " " + n
		}
	}
	var files []string
	var labels []int32
	switch split {
	case "train":
		for i, w := range wnids {
			imgs, err := listImages(root, filepath.Join("train", w, "images"))
			if err != nil {
				return nil, err
			}
			if len(imgs) == 0 {
				return nil, fmt.Errorf("data: tiny_imagenet: %s has no images", filepath.Join(root, "train", w, "images"))
			}
			files = append(files, imgs...)
			for range imgs {
				labels = append(labels, int32(i))
			}
		}
	case "val", "validation":
		ann := filepath.Join(root, "val", "val_annotations.txt")
		lines, err := readNameList(ann)
		if err != nil {
			return nil, err
		}
		if lines == nil {
			return nil, fmt.Errorf("data: tiny_imagenet: %s not found", ann)
		}
		for i, l := range lines {
			f := strings.Split(l, "\t")
			c, ok := index[safeField(f, 1)]
			if len(f) < 2 || !ok || strings.ContainsAny(f[0], `/\`) {
				return nil, fmt.Errorf("%w: %s line %d: %q, want <file>\\t<wnid of wnids.txt>\\t<box>", ErrFormat, ann, i+1, l)
			}
			files = append(files, filepath.Join("val", "images", f[0]))
			labels = append(labels, c)
		}
	case "test":
		imgs, err := listImages(root, filepath.Join("test", "images"))
		if err != nil {
			return nil, err
		}
		files = imgs
	default:
		return nil, fmt.Errorf("data: tiny_imagenet split %q, want train, val or test", split)
	}
	return labeledFiles("tiny_imagenet", split, root, files, labels, classes)
}

func safeField(f []string, i int) string {
	if i < len(f) {
		return f[i]
	}
	return ""
}

// ImageNetValSolution is the name of ImageNet's validation labels file (Kaggle's
// ILSVRC2012 localisation challenge).
const ImageNetValSolution = "LOC_val_solution.csv"

// findUp looks for name in dir and its two parents.
func findUp(dir, name string) string {
	for i := 0; i < 3; i++ {
		if p := filepath.Join(dir, name); fileExists(p) {
			return p
		}
		dir = filepath.Dir(dir)
	}
	return ""
}

// OpenImageNetVal reads ImageNet-1k validation images from a flat folder (root) labelled by
// LOC_val_solution.csv, found in root or up to two levels above. The class order is that of
// LOC_synset_mapping.txt beside the CSV when present (the standard 0..999 order, with names),
// else the sorted wnids of the CSV.
func OpenImageNetVal(root, split string) (*Folder, error) {
	csvPath := findUp(root, ImageNetValSolution)
	if csvPath == "" {
		return nil, fmt.Errorf("data: imagenet1k: no %s in %s or above it (or sort the images into class folders)", ImageNetValSolution, root)
	}
	b, err := readSmallFile(csvPath)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(strings.NewReader(string(b)))
	r.FieldsPerRecord = 2
	header, err := r.Read()
	if err != nil || !strings.EqualFold(header[0], "ImageId") {
		return nil, fmt.Errorf("%w: %s: header %v (%v), want ImageId,PredictionString", ErrFormat, csvPath, header, err)
	}
	type row struct{ id, wnid string }
	var rows []row
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrFormat, csvPath, err)
		}
		wnid, _, _ := strings.Cut(strings.TrimSpace(rec[1]), " ")
		if rec[0] == "" || wnid == "" || strings.ContainsAny(rec[0], `/\`) {
			return nil, fmt.Errorf("%w: %s line %d: %q, want <image id>,<wnid> <box>…", ErrFormat, csvPath, line, strings.Join(rec, ","))
		}
		rows = append(rows, row{rec[0], wnid})
	}
	var classes []string
	index := map[string]int32{}
	mapping, err := readNameList(filepath.Join(filepath.Dir(csvPath), "LOC_synset_mapping.txt"))
	if err != nil {
		return nil, err
	}
	for _, l := range mapping {
		id, name, _ := strings.Cut(l, " ")
		first, _, _ := strings.Cut(name, ",")
		index[id] = int32(len(classes))
		classes = append(classes, strings.TrimSpace(id+" "+first))
	}
	if mapping == nil {
		seen := map[string]bool{}
		var ids []string
		for _, r := range rows {
			if !seen[r.wnid] {
				seen[r.wnid] = true
				ids = append(ids, r.wnid)
			}
		}
		sort.Strings(ids)
		for i, id := range ids {
			index[id] = int32(i)
		}
		classes = ids
	}
	// Keep the images present in root, in file-name order.
	sort.Slice(rows, func(i, j int) bool { return rows[i].id < rows[j].id })
	var files []string
	var labels []int32
	for _, r := range rows {
		c, ok := index[r.wnid]
		if !ok {
			return nil, fmt.Errorf("%w: %s: image %s has wnid %s, not in LOC_synset_mapping.txt", ErrFormat, csvPath, r.id, r.wnid)
		}
		f := r.id + ".JPEG"
		if !fileExists(filepath.Join(root, f)) {
			continue
		}
		files = append(files, f)
		labels = append(labels, c)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("data: imagenet1k: none of the %d images of %s is in %s (want <ImageId>.JPEG files)", len(rows), csvPath, root)
	}
	return labeledFiles("imagenet1k", split, root, files, labels, classes)
}

// hasSubdirs reports whether dir has at least one sub-directory.
func hasSubdirs(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			return true
		}
	}
	return false
}
