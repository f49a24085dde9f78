package search

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

// hnswMagic starts hnsw.bin; the layout after it (little-endian) is: n, dim, M,
// efConstruction, efSearch, entry, maxLevel as uint32; levels [n]uint8; layer 0 [n·(2M+1)]uint32
// (count, then links); then, for each node with level > 0 in row order, level·(M+1) uint32.
const hnswMagic = "SCLHNSW1"

// WriteTo writes the graph (not the vectors) to w.
func (h *HNSW) WriteTo(w io.Writer) (int64, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	cw := &countWriter{w: bw}
	hdr := []uint32{uint32(h.n), uint32(h.dim), uint32(h.m), uint32(h.efC), uint32(h.EfSearch), uint32(max(h.entry, 0)), uint32(h.maxLevel)}
	for _, v := range []any{[]byte(hnswMagic), hdr, h.levels, h.layer0} {
		if err := binary.Write(cw, binary.LittleEndian, v); err != nil {
			return cw.n, fmt.Errorf("search: write hnsw: %w", err)
		}
	}
	for i, l := range h.levels {
		if l > 0 {
			if err := binary.Write(cw, binary.LittleEndian, h.upper[i]); err != nil {
				return cw.n, fmt.Errorf("search: write hnsw: %w", err)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return cw.n, fmt.Errorf("search: write hnsw: %w", err)
	}
	return cw.n, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ReadHNSW reads a graph written by WriteTo over the unit vectors x (n × dim, the same rows in
// the same order), checking its structure. name labels errors.
func ReadHNSW(r io.Reader, x []float32, dim int, name string) (*HNSW, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	magic := make([]byte, len(hnswMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != hnswMagic {
		return nil, fmt.Errorf("search: %s: not an scl HNSW graph (want magic %q)", name, hnswMagic)
	}
	hdr := make([]uint32, 7)
	if err := binary.Read(br, binary.LittleEndian, hdr); err != nil {
		return nil, fmt.Errorf("search: %s: header: %w", name, err)
	}
	n, d, m := int(hdr[0]), int(hdr[1]), int(hdr[2])
	if d != dim || n*dim != len(x) {
		return nil, fmt.Errorf("search: %s: graph of %d %d-d nodes, but the vectors are %d × %d", name, n, d, len(x)/max(dim, 1), dim)
	}
	if m < 2 || m > 1024 {
		return nil, fmt.Errorf("search: %s: M = %d, want 2…1024", name, m)
	}
	h := newHNSW(x, dim, HNSWConfig{M: m, EfConstruction: int(hdr[3]), EfSearch: int(hdr[4])})
	h.entry, h.maxLevel = int(hdr[5]), int(hdr[6])
	if n > 0 && (h.entry >= n || h.maxLevel > 32) {
		return nil, fmt.Errorf("search: %s: entry %d level %d out of range", name, h.entry, h.maxLevel)
	}
	if n == 0 {
		h.entry = -1
	}
	if err := binary.Read(br, binary.LittleEndian, h.levels); err != nil {
		return nil, fmt.Errorf("search: %s: levels: %w", name, err)
	}
	if err := binary.Read(br, binary.LittleEndian, h.layer0); err != nil {
		return nil, fmt.Errorf("search: %s: layer 0: %w", name, err)
	}
	for i, l := range h.levels {
		if int(l) > h.maxLevel {
			return nil, fmt.Errorf("search: %s: node %d has level %d above the top level %d", name, i, l, h.maxLevel)
		}
		if l > 0 {
			h.upper[i] = make([]uint32, int(l)*(m+1))
			if err := binary.Read(br, binary.LittleEndian, h.upper[i]); err != nil {
				return nil, fmt.Errorf("search: %s: node %d: %w", name, i, err)
			}
		}
	}
	if n > 0 && int(h.levels[h.entry]) != h.maxLevel {
		return nil, fmt.Errorf("search: %s: entry node %d has level %d, want the top level %d", name, h.entry, h.levels[h.entry], h.maxLevel)
	}
	// Every link must name an existing node that lives on that layer.
	for i := range n {
		for lev := 0; lev <= int(h.levels[i]); lev++ {
			l := h.list(uint32(i), lev)
			if int(l[0]) > len(l)-1 {
				return nil, fmt.Errorf("search: %s: node %d layer %d: %d links, at most %d", name, i, lev, l[0], len(l)-1)
			}
			for _, e := range l[1 : 1+l[0]] {
				if int(e) >= n || int(h.levels[e]) < lev {
					return nil, fmt.Errorf("search: %s: node %d layer %d links to node %d, which is not on that layer", name, i, lev, e)
				}
			}
		}
	}
	return h, nil
}
