package data

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
)

// Identity identifies what a data set reads, so that a result computed from it can be checked
// against the data set later (scl embed refuses to reuse features when it changes).
type Identity struct {
	// Path is the data's location, absolute with symbolic links resolved: an image folder's
	// root, a file list, or the directory of a binary data set's files. Empty for data sets not
	// read from files.
	Path string `json:"path"`
	// Items is the number of items.
	Items int `json:"items"`
	// Digest is the hex SHA-256 of the item list: for image folders and file lists one line
	// "id\tsize\n" per item (size in bytes of the item's file), for binary data sets one line
	// "name\tsize\n" per data file followed by one line per item id, for other data sets one
	// line per item id.
	Digest string `json:"items_sha256"`
}

// identifier is implemented by the data sets of this package that are read from files.
type identifier interface {
	identity() (Identity, error)
}

// Identify returns d's identity. It stats every file the data set reads (one stat per item for
// image folders), so it costs about as much as listing the folder once. A shard or subset has
// the identity of the whole data set it was cut from.
func Identify(d Dataset) (Identity, error) {
	for {
		s, ok := d.(*subset)
		if !ok {
			break
		}
		d = s.d
	}
	if id, ok := d.(identifier); ok {
		return id.identity()
	}
	h := sha256.New()
	for i := range d.Len() {
		fmt.Fprintf(h, "%s\n", d.ID(i))
	}
	return Identity{Items: d.Len(), Digest: hex.EncodeToString(h.Sum(nil))}, nil
}

// resolvePath makes p absolute and resolves symbolic links (keeping the absolute path when
// resolution fails).
func resolvePath(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	if r, err := filepath.EvalSymlinks(a); err == nil {
		return r
	}
	return a
}

func (d *Folder) identity() (Identity, error) {
	path := d.root
	if d.list != "" {
		path = d.list
	}
	h := sha256.New()
	for i := range d.files {
		st, err := os.Stat(d.path(i))
		if err != nil {
			return Identity{}, fmt.Errorf("data: folder: item %d: %w", i, err)
		}
		fmt.Fprintf(h, "%s\t%d\n", d.files[i], st.Size())
	}
	return Identity{Path: resolvePath(path), Items: len(d.files), Digest: hex.EncodeToString(h.Sum(nil))}, nil
}

// filesIdentity is the identity of a data set held in the files named (all in one directory).
func filesIdentity(files []string, d Dataset) (Identity, error) {
	if len(files) == 0 {
		return Identity{}, fmt.Errorf("data: %s %s: no source files recorded", d.Info().Name, d.Info().Split)
	}
	h := sha256.New()
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return Identity{}, fmt.Errorf("data: %w", err)
		}
		fmt.Fprintf(h, "%s\t%d\n", filepath.Base(f), st.Size())
	}
	for i := range d.Len() {
		fmt.Fprintf(h, "%s\n", d.ID(i))
	}
	return Identity{Path: resolvePath(filepath.Dir(files[0])), Items: d.Len(), Digest: hex.EncodeToString(h.Sum(nil))}, nil
}

func (m *memory) identity() (Identity, error) {
	if m.files == nil { // built in memory (tests)
		h := sha256.New()
		for i := range m.n {
			fmt.Fprintf(h, "%s\n", m.ID(i))
		}
		h.Write(m.pix)
		h.Write(m.labels)
		return Identity{Items: m.n, Digest: hex.EncodeToString(h.Sum(nil))}, nil
	}
	return filesIdentity(m.files, m)
}

func (d *stl) identity() (Identity, error) { return filesIdentity(d.files, d) }
