package data

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Source names a data set for Open.
type Source struct {
	// Name: fashion_mnist, cifar10, stl10, or folder / files for image directories. Other names
	// (tiny_imagenet, food101, imagenet1k) are read as labeled folders and set ImageSize.
	Name string
	// Split: train, test, unlabeled (stl10), or any name for folders.
	Split string
	// Dir is the directory holding the files (fashion_mnist defaults to FashionMNISTDir). For
	// folder-type sources (folder, tiny_imagenet, food101, imagenet1k, …) the root is Dir/Split
	// when that directory exists, else Dir.
	Dir string
	// List is a file list (one image path per line) for Name "files".
	List string
	// Check and SkipCorrupt as in FolderConfig.
	Check, SkipCorrupt bool
}

// Open opens a data set by name and split.
func Open(s Source) (Dataset, error) {
	name := strings.ToLower(s.Name)
	switch name {
	case "fashion_mnist", "fashion-mnist", "fashionmnist":
		return OpenFashionMNIST(s.Dir, s.Split)
	case "cifar10", "cifar-10":
		return OpenCIFAR10(s.Dir, s.Split)
	case "cifar100", "cifar-100":
		return OpenCIFAR100(s.Dir, s.Split, false)
	case "cifar100_coarse", "cifar-100-coarse":
		return OpenCIFAR100(s.Dir, s.Split, true)
	case "stl10", "stl-10":
		return OpenSTL10(s.Dir, s.Split)
	case "files":
		return OpenFolder(FolderConfig{Root: s.Dir, List: s.List, Check: s.Check, SkipCorrupt: s.SkipCorrupt, Name: name, Split: s.Split})
	case "":
		return nil, fmt.Errorf("data: empty data set name, want fashion_mnist, cifar10, stl10, folder, files or a folder-type name")
	}
	if s.Dir == "" {
		return nil, fmt.Errorf("data: %s: empty directory, want the image folder root", s.Name)
	}
	// The official archives' layouts, recognised by their annotation files.
	switch name {
	case "food101", "food-101":
		if food101Root(s.Dir) != "" {
			return OpenFood101(s.Dir, s.Split)
		}
	case "tiny_imagenet", "tiny-imagenet", "tinyimagenet":
		if tinyImageNetRoot(s.Dir) != "" {
			return OpenTinyImageNet(s.Dir, s.Split)
		}
	}
	root := s.Dir
	if s.Split != "" {
		if st, err := os.Stat(filepath.Join(s.Dir, s.Split)); err == nil && st.IsDir() {
			root = filepath.Join(s.Dir, s.Split)
		}
	}
	if (name == "imagenet1k" || name == "imagenet" || name == "imagenet-1k") && !hasSubdirs(root) && findUp(root, ImageNetValSolution) != "" {
		return OpenImageNetVal(root, s.Split)
	}
	return OpenFolder(FolderConfig{Root: root, Labeled: true, Check: s.Check, SkipCorrupt: s.SkipCorrupt, Name: name, Split: s.Split})
}
