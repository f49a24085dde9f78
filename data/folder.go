package data

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/scl-dev/scl/internal/safefile"
)

// FolderConfig configures an image folder data set.
type FolderConfig struct {
	// Root is the directory holding the images. With Labeled, each immediate sub-directory is a
	// class (sorted by name, as torchvision's ImageFolder) and every JPEG/PNG below it an item.
	// Without, every JPEG/PNG below Root is an unlabeled item.
	Root string
	// Labeled selects the class sub-directory layout.
	Labeled bool
	// List, when set, names a text file with one image path per line (relative to Root, or to
	// the list's directory when Root is empty; blank lines and lines starting with # ignored).
	// The items are unlabeled and keep the list's order.
	List string
	// Files, when set, are the image paths (relative to Root unless absolute), unlabeled, in
	// this order. List and Files are exclusive.
	Files []string
	// Check reads every image's header at open time, so missing or corrupt files are found
	// before training starts (it opens every file once).
	Check bool
	// SkipCorrupt drops files whose header cannot be read (implies Check) and counts them in
	// Skipped, instead of failing.
	SkipCorrupt bool
	// Name and Split label the data set in Info (defaults "folder" and "train"); Name also
	// selects ImageSize via ImageSizeFor (e.g. "tiny_imagenet").
	Name, Split string
}

// Size caps of the files a folder data set reads: each must also be a regular file (a symbolic
// link to a device, FIFO or directory is an error naming it).
const (
	MaxImageFileBytes = 1 << 30 // one JPEG or PNG file
	MaxListBytes      = 1 << 30 // a file list
)

// Folder is a data set of image files, decoded per item. It is safe for concurrent use.
type Folder struct {
	info    Info
	root    string
	list    string   // the file list read, "" for a folder walk
	files   []string // relative to root, or absolute
	labels  []int32  // nil when unlabeled
	skipped int
}

// IsImageFile reports whether a path has a JPEG or PNG extension (case-insensitive).
func IsImageFile(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jpg", ".jpeg", ".png":
		return true
	}
	return false
}

// OpenFolder lists an image folder or file list. It fails on a missing root, an empty class or
// folder, or (with Check) an unreadable image, naming the file.
func OpenFolder(cfg FolderConfig) (*Folder, error) {
	d := &Folder{root: cfg.Root}
	d.info = Info{Name: cfg.Name, Split: cfg.Split}
	if d.info.Name == "" {
		d.info.Name = "folder"
	}
	if d.info.Split == "" {
		d.info.Split = "train"
	}
	d.info.ImageSize = ImageSizeFor(d.info.Name)
	switch {
	case cfg.List != "" && cfg.Files != nil:
		return nil, fmt.Errorf("data: folder: both List %q and Files set, want one", cfg.List)
	case cfg.List != "":
		files, err := readList(cfg.List)
		if err != nil {
			return nil, err
		}
		if d.root == "" {
			d.root = filepath.Dir(cfg.List)
		}
		d.files = files
		d.list = cfg.List
	case cfg.Files != nil:
		d.files = append([]string(nil), cfg.Files...)
	default:
		if cfg.Root == "" {
			return nil, fmt.Errorf("data: folder: empty root, want a directory")
		}
		if st, err := os.Stat(cfg.Root); err != nil {
			return nil, fmt.Errorf("data: folder: %w", err)
		} else if !st.IsDir() {
			return nil, fmt.Errorf("data: folder: %s is not a directory", cfg.Root)
		}
		if cfg.Labeled {
			if err := d.listClasses(); err != nil {
				return nil, err
			}
		} else {
			files, err := listImages(cfg.Root, "")
			if err != nil {
				return nil, err
			}
			d.files = files
		}
	}
	if len(d.files) == 0 {
		where := cfg.Root
		if cfg.List != "" {
			where = cfg.List
		}
		return nil, fmt.Errorf("data: folder %s: no JPEG or PNG images found", where)
	}
	if cfg.Check || cfg.SkipCorrupt {
		if err := d.check(cfg.SkipCorrupt); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (d *Folder) listClasses() error {
	entries, err := os.ReadDir(d.root)
	if err != nil {
		return fmt.Errorf("data: folder: %w", err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		isDir := e.IsDir()
		if e.Type()&fs.ModeSymlink != 0 { // class directories linked from elsewhere
			st, err := os.Stat(filepath.Join(d.root, e.Name()))
			isDir = err == nil && st.IsDir()
		}
		if isDir {
			d.info.Classes = append(d.info.Classes, e.Name())
		}
	}
	if len(d.info.Classes) == 0 {
		return fmt.Errorf("data: folder %s: no class sub-directories, want one directory per class", d.root)
	}
	sort.Strings(d.info.Classes)
	for c, name := range d.info.Classes {
		files, err := listImages(d.root, name)
		if err != nil {
			return err
		}
		if len(files) == 0 {
			return fmt.Errorf("data: folder %s: class %q has no JPEG or PNG images", filepath.Join(d.root, name), name)
		}
		d.files = append(d.files, files...)
		for range files {
			d.labels = append(d.labels, int32(c))
		}
	}
	return nil
}

// listImages returns the image files below root/sub, relative to root, sorted. root/sub itself
// may be a symbolic link; links further down are not followed.
func listImages(root, sub string) ([]string, error) {
	var out []string
	top, err := filepath.EvalSymlinks(filepath.Join(root, sub))
	if err != nil {
		return nil, fmt.Errorf("data: folder: %w", err)
	}
	err = filepath.WalkDir(top, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() && IsImageFile(path) {
			rel, err := filepath.Rel(top, path)
			if err != nil {
				return err
			}
			out = append(out, filepath.Join(sub, rel))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("data: folder: %w", err)
	}
	sort.Strings(out)
	return out, nil
}

func readList(path string) ([]string, error) {
	b, err := safefile.ReadFile(path, MaxListBytes)
	if err != nil {
		return nil, fmt.Errorf("data: file list: %w", err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("data: file list %s: %w", path, err)
	}
	return out, nil
}

func (d *Folder) path(i int) string {
	if filepath.IsAbs(d.files[i]) {
		return d.files[i]
	}
	return filepath.Join(d.root, d.files[i])
}

// check reads every header; with skip, unreadable files are dropped and counted.
func (d *Folder) check(skip bool) error {
	keep := d.files[:0:0]
	var labels []int32
	for i := range d.files {
		err := checkHeader(d.path(i))
		if err != nil {
			if skip {
				d.skipped++
				continue
			}
			return fmt.Errorf("data: folder: item %d: %w", i, err)
		}
		keep = append(keep, d.files[i])
		if d.labels != nil {
			labels = append(labels, d.labels[i])
		}
	}
	d.files = keep
	if d.labels != nil {
		d.labels = labels
	}
	if len(d.files) == 0 {
		return fmt.Errorf("data: folder %s: all %d images are unreadable", d.root, d.skipped)
	}
	return nil
}

func checkHeader(path string) error {
	f, err := safefile.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(bufio.NewReader(f))
	if err != nil {
		return fmt.Errorf("%w: %s: image header: %v", ErrFormat, path, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return fmt.Errorf("%w: %s: image size %dx%d, want 1..%d pixels", ErrFormat, path, cfg.Width, cfg.Height, MaxPixels)
	}
	return nil
}

// Skipped is the number of files dropped by SkipCorrupt.
func (d *Folder) Skipped() int { return d.skipped }

// Len is the number of images.
func (d *Folder) Len() int { return len(d.files) }

// Info describes the folder; Width, Height and Channels are 0 (sizes vary).
func (d *Folder) Info() Info { return d.info }

// Label is the class index of item i, or -1 when unlabeled.
func (d *Folder) Label(i int) int {
	if d.labels == nil {
		return -1
	}
	return int(d.labels[i])
}

// ID is item i's path as listed (relative to the root unless given absolute).
func (d *Folder) ID(i int) string { return d.files[i] }

// Image reads and decodes item i. Decoding errors wrap ErrFormat and name the file.
func (d *Folder) Image(i int) (Image, error) {
	if i < 0 || i >= len(d.files) {
		return Image{}, fmt.Errorf("data: folder: index %d out of range [0, %d)", i, len(d.files))
	}
	p := d.path(i)
	b, err := safefile.ReadFile(p, MaxImageFileBytes)
	if err != nil {
		return Image{}, fmt.Errorf("data: folder: item %d: %w", i, err)
	}
	m, err := DecodeImage(b)
	if err != nil {
		return Image{}, fmt.Errorf("data: %s (item %d): %w", p, i, err)
	}
	return m, nil
}

// Close is a no-op: files are opened per item.
func (d *Folder) Close() error { return nil }
