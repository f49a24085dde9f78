package data

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// Entry describes a named data set: how to open it and what the other stages need to know
// about it.
type Entry struct {
	// Name is the canonical name (Info.Name of what Open returns); Aliases are other spellings.
	// Lookups ignore case.
	Name    string
	Aliases []string
	// ImageSize is the side s of the square training views (SPEC §6), 0 when unknown.
	ImageSize int
	// PretrainSplit is the split scl train reads by default ("" means "train"; stl10 trains on
	// its unlabeled split).
	PretrainSplit string
	// Classes are the class names in label order when the format fixes them (nil for folders,
	// whose classes are their sub-directories).
	Classes []string
	// Open opens the data set (Source.Name holds the name as given).
	Open func(Source) (Dataset, error)
}

var registry struct {
	sync.RWMutex
	entries []Entry
}

func init() {
	for _, e := range []Entry{
		{Name: "fashion_mnist", Aliases: []string{"fashion-mnist", "fashionmnist"}, ImageSize: 28, Classes: FashionMNISTClasses,
			Open: func(s Source) (Dataset, error) { return OpenFashionMNIST(s.Dir, s.Split) }},
		{Name: "cifar10", Aliases: []string{"cifar-10"}, ImageSize: 32, Classes: CIFAR10Classes,
			Open: func(s Source) (Dataset, error) { return OpenCIFAR10(s.Dir, s.Split) }},
		{Name: "cifar100", Aliases: []string{"cifar-100"}, ImageSize: 32,
			Open: func(s Source) (Dataset, error) { return OpenCIFAR100(s.Dir, s.Split, false) }},
		{Name: "cifar100_coarse", Aliases: []string{"cifar-100-coarse"}, ImageSize: 32,
			Open: func(s Source) (Dataset, error) { return OpenCIFAR100(s.Dir, s.Split, true) }},
		{Name: "stl10", Aliases: []string{"stl-10"}, ImageSize: 96, PretrainSplit: "unlabeled", Classes: STL10Classes,
			Open: func(s Source) (Dataset, error) { return OpenSTL10(s.Dir, s.Split) }},
		// Folder-type data sets: the official archive's layout when its annotation files are
		// there, else a labeled image folder.
		{Name: "tiny_imagenet", Aliases: []string{"tiny-imagenet", "tinyimagenet"}, ImageSize: 64, Open: func(s Source) (Dataset, error) {
			if IsHFSnapshot(s.Dir) {
				return OpenHF(s.Dir, s.Split, "tiny_imagenet")
			}
			if tinyImageNetRoot(s.Dir) != "" {
				return OpenTinyImageNet(s.Dir, s.Split)
			}
			return openLabeledFolder("tiny_imagenet")(s)
		}},
		{Name: "food101", Aliases: []string{"food-101"}, ImageSize: 192, Open: func(s Source) (Dataset, error) {
			if IsHFSnapshot(s.Dir) {
				return OpenHF(s.Dir, s.Split, "food101")
			}
			if food101Root(s.Dir) != "" {
				return OpenFood101(s.Dir, s.Split)
			}
			return openLabeledFolder("food101")(s)
		}},
		{Name: "imagenet1k", Aliases: []string{"imagenet", "imagenet-1k"}, ImageSize: 192, Open: func(s Source) (Dataset, error) {
			if IsHFSnapshot(s.Dir) {
				return OpenHF(s.Dir, s.Split, "imagenet1k")
			}
			if s.Dir != "" {
				if root := folderRoot(s); !hasSubdirs(root) && findUp(root, ImageNetValSolution) != "" {
					return OpenImageNetVal(root, s.Split)
				}
			}
			return openLabeledFolder("imagenet1k")(s)
		}},
		// A Hugging Face hub snapshot of Parquet shards (hf.go).
		{Name: "hf", Aliases: []string{"huggingface"}, Open: func(s Source) (Dataset, error) { return OpenHF(s.Dir, s.Split, "hf") }},
		{Name: "folder", Open: openLabeledFolder("folder")},
		{Name: "files", Open: func(s Source) (Dataset, error) {
			return OpenFolder(FolderConfig{Root: s.Dir, List: s.List, Check: s.Check, SkipCorrupt: s.SkipCorrupt, Name: "files", Split: s.Split})
		}},
	} {
		if err := Register(e); err != nil {
			panic(err)
		}
	}
}

// Register adds a data set to the registry. Its name and aliases must be new.
func Register(e Entry) error {
	if e.Name == "" || e.Open == nil {
		return fmt.Errorf("data: register %q: want a name and an Open function", e.Name)
	}
	registry.Lock()
	defer registry.Unlock()
	for _, n := range append([]string{e.Name}, e.Aliases...) {
		if old, ok := lookup(n); ok {
			return fmt.Errorf("data: register %s: name %q is taken by %s", e.Name, n, old.Name)
		}
	}
	registry.entries = append(registry.entries, e)
	return nil
}

// Lookup returns the registered data set called name (or one of its aliases), ignoring case.
func Lookup(name string) (Entry, bool) {
	registry.RLock()
	defer registry.RUnlock()
	return lookup(name)
}

func lookup(name string) (Entry, bool) {
	for _, e := range registry.entries {
		if strings.EqualFold(e.Name, name) || slices.ContainsFunc(e.Aliases, func(a string) bool { return strings.EqualFold(a, name) }) {
			return e, true
		}
	}
	return Entry{}, false
}

// Names returns the canonical names of the registered data sets in registration order.
func Names() []string {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]string, len(registry.entries))
	for i, e := range registry.entries {
		out[i] = e.Name
	}
	return out
}

// ImageSizeFor returns the training view size s of SPEC §6 for a data set name, or 0.
func ImageSizeFor(name string) int {
	e, _ := Lookup(name)
	return e.ImageSize
}

// PretrainSplit returns the split pretraining reads by default: the registry's (unlabeled for
// stl10), "train" otherwise.
func PretrainSplit(name string) string {
	if e, ok := Lookup(name); ok && e.PretrainSplit != "" {
		return e.PretrainSplit
	}
	return "train"
}

// openLabeledFolder opens an image folder whose sub-directories are the classes: the root is
// Dir/Split when that directory exists, else Dir.
func openLabeledFolder(name string) func(Source) (Dataset, error) {
	return func(s Source) (Dataset, error) {
		if s.Dir == "" {
			return nil, fmt.Errorf("data: %s: empty directory, want the image folder root", s.Name)
		}
		return OpenFolder(FolderConfig{Root: folderRoot(s), Labeled: true, Check: s.Check, SkipCorrupt: s.SkipCorrupt, Name: name, Split: s.Split})
	}
}

// folderRoot is Dir/Split when that directory exists, else Dir.
func folderRoot(s Source) string {
	if s.Split != "" {
		if st, err := os.Stat(filepath.Join(s.Dir, s.Split)); err == nil && st.IsDir() {
			return filepath.Join(s.Dir, s.Split)
		}
	}
	return s.Dir
}
