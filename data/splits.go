package data

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Splits lists the split names of a data set that are present in dir, for `scl data info`:
// the official splits whose files exist, or a folder's sub-directories that hold class folders
// (nil when none are found).
func Splits(name, dir string) []string {
	present := func(cands map[string]string) []string {
		seen := map[string]bool{}
		var out []string
		for split, probe := range cands {
			split = strings.TrimSpace(split)
			if (fileExists(probe) || dirExists(probe)) && !seen[split] {
				seen[split] = true
				out = append(out, split)
			}
		}
		sort.Strings(out)
		return out
	}
	if IsHFSnapshot(dir) {
		return HFSplits(dir)
	}
	switch strings.ToLower(name) {
	case "fashion_mnist", "fashion-mnist", "fashionmnist":
		return []string{"test", "train"}
	case "stl10", "stl-10":
		return []string{"test", "train", "unlabeled"}
	case "cifar10", "cifar-10":
		py, _ := cifar10PythonDir(dir)
		bin := findSubdir(dir, "test_batch.bin", "cifar-10-batches-bin")
		out := present(map[string]string{"train": filepath.Join(py, "data_batch_1"), "test": filepath.Join(py, "test_batch")})
		if len(out) == 0 {
			out = present(map[string]string{"train": filepath.Join(bin, "data_batch_1.bin"), "test": filepath.Join(bin, "test_batch.bin")})
		}
		return out
	case "cifar100", "cifar-100", "cifar100_coarse", "cifar-100-coarse":
		py := filepath.Join(dir, "cifar-100-python")
		if !dirExists(py) {
			py = dir
		}
		bin := findSubdir(dir, "test.bin", "cifar-100-binary")
		return present(map[string]string{"train": filepath.Join(py, "train"), "test": filepath.Join(py, "test"),
			"train ": filepath.Join(bin, "train.bin"), "test ": filepath.Join(bin, "test.bin")})
	case "food101", "food-101":
		if r := food101Root(dir); r != "" {
			return present(map[string]string{"train": filepath.Join(r, "meta", "train.txt"), "test": filepath.Join(r, "meta", "test.txt")})
		}
	case "tiny_imagenet", "tiny-imagenet", "tinyimagenet":
		if r := tinyImageNetRoot(dir); r != "" {
			return present(map[string]string{"train": filepath.Join(r, "train"), "val": filepath.Join(r, "val", "val_annotations.txt"), "test": filepath.Join(r, "test", "images")})
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		// A split folder holds class folders (or images, for flat splits such as ImageNet's val).
		if p := filepath.Join(dir, e.Name()); dirExists(p) && !strings.HasPrefix(e.Name(), ".") && (hasSubdirs(p) || findUp(p, ImageNetValSolution) != "") {
			out = append(out, e.Name())
		}
	}
	return out
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
