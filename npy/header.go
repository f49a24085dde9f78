package npy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// magic opens every .npy file.
const magic = "\x93NUMPY"

// headerAlign is the alignment of the start of the data that NumPy ≥ 1.20 uses.
const headerAlign = 64

// maxHeaderLen bounds the header dictionary we accept when reading, to reject
// garbage early (NumPy itself refuses headers above 10,000 bytes by default).
const maxHeaderLen = 1 << 20

// DType is the element type of an array, named as NumPy's dtype.str without
// the byte-order character.
type DType string

// The element types this package understands.
const (
	Float32 DType = "f4"
	Float64 DType = "f8"
	Int32   DType = "i4"
	Int64   DType = "i8"
)

// Size returns the size of one element in bytes, or 0 for an unknown dtype.
func (d DType) Size() int {
	switch d {
	case Float32, Int32:
		return 4
	case Float64, Int64:
		return 8
	}
	return 0
}

// String returns the NumPy name, e.g. "float32".
func (d DType) String() string {
	switch d {
	case Float32:
		return "float32"
	case Float64:
		return "float64"
	case Int32:
		return "int32"
	case Int64:
		return "int64"
	}
	return "dtype(" + string(d) + ")"
}

// Header describes an array stored in a .npy file.
type Header struct {
	DType DType
	// Shape is the array shape; an empty shape is a scalar (one element).
	Shape []int
	// BigEndian is true when the data is stored most significant byte first.
	BigEndian bool
	// FortranOrder is true for column-major data. Only arrays of at most one
	// dimension may be Fortran-ordered when read by this package.
	FortranOrder bool
	// DataOffset is the byte offset of the first element in the file.
	DataOffset int64
}

// Len returns the number of elements, the product of the shape.
func (h Header) Len() int {
	n := 1
	for _, s := range h.Shape {
		n *= s
	}
	return n
}

// encodeHeader returns the full preamble (magic, version, length, dict) for a
// version 1.0 file. shapeWidth, when positive, pads the shape text to that many
// characters so that a Writer can later rewrite the header in place with a
// larger first dimension.
func encodeHeader(dtype DType, shape []int, shapeWidth int) ([]byte, error) {
	if dtype.Size() == 0 {
		return nil, fmt.Errorf("npy: unsupported dtype %q, want one of f4, f8, i4, i8", string(dtype))
	}
	var sb strings.Builder
	sb.WriteString("(")
	for i, s := range shape {
		if s < 0 {
			return nil, fmt.Errorf("npy: negative dimension %d in shape %v", s, shape)
		}
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(strconv.Itoa(s))
	}
	if len(shape) == 1 {
		sb.WriteString(",")
	}
	sb.WriteString(")")
	shapeText := sb.String()
	dict := fmt.Sprintf("{'descr': '<%s', 'fortran_order': False, 'shape': %s, }", string(dtype), shapeText)
	if pad := shapeWidth - len(shapeText); pad > 0 {
		dict += strings.Repeat(" ", pad)
	}
	// 6 magic + 2 version + 2 length + dict + padding + '\n' ≡ 0 (mod 64).
	total := len(magic) + 2 + 2 + len(dict) + 1
	if rem := total % headerAlign; rem != 0 {
		dict += strings.Repeat(" ", headerAlign-rem)
	}
	dict += "\n"
	if len(dict) > math.MaxUint16 {
		return nil, fmt.Errorf("npy: header of %d bytes too long for format 1.0", len(dict))
	}
	buf := make([]byte, 0, len(magic)+4+len(dict))
	buf = append(buf, magic...)
	buf = append(buf, 1, 0)
	buf = binary.LittleEndian.AppendUint16(buf, uint16(len(dict)))
	buf = append(buf, dict...)
	return buf, nil
}

// readHeader reads and validates the preamble from r. name is used in errors.
func readHeader(r io.Reader, name string) (Header, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return Header{}, fmt.Errorf("npy: %s: file too short for a .npy preamble (empty or truncated)", name)
		}
		return Header{}, fmt.Errorf("npy: %s: reading preamble: %w", name, err)
	}
	if string(pre[:6]) != magic {
		return Header{}, fmt.Errorf("npy: %s: bad magic %q, want %q (not a .npy file)", name, pre[:6], magic)
	}
	major, minor := pre[6], pre[7]
	var hlen int
	var consumed int64 = 8
	switch major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return Header{}, fmt.Errorf("npy: %s: truncated header length: %w", name, err)
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
		consumed += 2
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return Header{}, fmt.Errorf("npy: %s: truncated header length: %w", name, err)
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
		consumed += 4
	default:
		return Header{}, fmt.Errorf("npy: %s: unsupported format version %d.%d, want 1.0, 2.0 or 3.0", name, major, minor)
	}
	if hlen > maxHeaderLen {
		return Header{}, fmt.Errorf("npy: %s: header length %d exceeds %d bytes", name, hlen, maxHeaderLen)
	}
	dict := make([]byte, hlen)
	if _, err := io.ReadFull(r, dict); err != nil {
		return Header{}, fmt.Errorf("npy: %s: truncated header (want %d bytes): %w", name, hlen, err)
	}
	h, err := parseDict(string(dict))
	if err != nil {
		return Header{}, fmt.Errorf("npy: %s: %w", name, err)
	}
	h.DataOffset = consumed + int64(hlen)
	return h, nil
}

// parseDict parses the header dictionary literal written by numpy.lib.format.
func parseDict(s string) (Header, error) {
	t := strings.TrimSpace(strings.TrimRight(s, "\x00"))
	if !strings.HasPrefix(t, "{") || !strings.HasSuffix(t, "}") {
		return Header{}, fmt.Errorf("header %q is not a dict literal", s)
	}
	p := &dictParser{s: t[1 : len(t)-1]}
	var h Header
	seen := map[string]bool{}
	for {
		p.skipSpace()
		if p.done() {
			break
		}
		key, err := p.quoted()
		if err != nil {
			return Header{}, fmt.Errorf("header key: %w", err)
		}
		p.skipSpace()
		if !p.consume(':') {
			return Header{}, fmt.Errorf("header: missing ':' after key %q", key)
		}
		p.skipSpace()
		switch key {
		case "descr":
			descr, err := p.quoted()
			if err != nil {
				return Header{}, fmt.Errorf("header 'descr': %w", err)
			}
			if err := h.setDescr(descr); err != nil {
				return Header{}, err
			}
		case "fortran_order":
			switch {
			case p.consumeWord("True"):
				h.FortranOrder = true
			case p.consumeWord("False"):
				h.FortranOrder = false
			default:
				return Header{}, fmt.Errorf("header 'fortran_order': want True or False")
			}
		case "shape":
			shape, err := p.tuple()
			if err != nil {
				return Header{}, fmt.Errorf("header 'shape': %w", err)
			}
			h.Shape = shape
		default:
			return Header{}, fmt.Errorf("header: unexpected key %q, want descr, fortran_order, shape", key)
		}
		seen[key] = true
		p.skipSpace()
		if !p.consume(',') {
			p.skipSpace()
			if !p.done() {
				return Header{}, fmt.Errorf("header: expected ',' after key %q", key)
			}
		}
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return Header{}, fmt.Errorf("header: missing key %q", k)
		}
	}
	if h.FortranOrder && len(h.Shape) > 1 {
		return Header{}, fmt.Errorf("header: Fortran-ordered array of shape %v not supported, want C order (numpy.ascontiguousarray)", h.Shape)
	}
	return h, nil
}

// setDescr interprets a dtype string such as "<f4" or "|i1".
func (h *Header) setDescr(descr string) error {
	if len(descr) < 2 {
		return fmt.Errorf("header: bad descr %q", descr)
	}
	order, kind := descr[0], DType(descr[1:])
	switch order {
	case '<', '|', '=':
		h.BigEndian = false
	case '>':
		h.BigEndian = true
	default:
		return fmt.Errorf("header: bad byte order in descr %q", descr)
	}
	if kind.Size() == 0 {
		return fmt.Errorf("header: unsupported dtype %q, want float32 (<f4), float64 (<f8), int32 (<i4) or int64 (<i8)", descr)
	}
	h.DType = kind
	return nil
}

// dictParser is a tiny scanner over the restricted Python literal syntax that
// NumPy writes in .npy headers.
type dictParser struct {
	s string
	i int
}

func (p *dictParser) done() bool { return p.i >= len(p.s) }

func (p *dictParser) skipSpace() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *dictParser) consume(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *dictParser) consumeWord(w string) bool {
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

func (p *dictParser) quoted() (string, error) {
	if p.done() || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", errors.New("want a quoted string")
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", errors.New("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+end]
	p.i += end + 2
	return v, nil
}

func (p *dictParser) tuple() ([]int, error) {
	if !p.consume('(') {
		return nil, errors.New("want a tuple")
	}
	shape := []int{}
	for {
		p.skipSpace()
		if p.consume(')') {
			return shape, nil
		}
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		// Python 2 era files may write long integers as 10L.
		digits := p.s[start:p.i]
		p.consume('L')
		if digits == "" {
			return nil, fmt.Errorf("bad dimension at %q", p.s[start:])
		}
		v, err := strconv.Atoi(digits)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("bad dimension %q", digits)
		}
		shape = append(shape, v)
		p.skipSpace()
		if !p.consume(',') {
			p.skipSpace()
			if !p.consume(')') {
				return nil, errors.New("want ',' or ')' in shape tuple")
			}
			return shape, nil
		}
	}
}

// checkedLen multiplies the dimensions, failing on overflow.
func checkedLen(shape []int, itemSize int) (int64, error) {
	n := int64(1)
	for _, s := range shape {
		if s != 0 && n > math.MaxInt64/int64(s) {
			return 0, fmt.Errorf("shape %v overflows", shape)
		}
		n *= int64(s)
	}
	if n > math.MaxInt64/int64(itemSize) || n > math.MaxInt {
		return 0, fmt.Errorf("shape %v too large", shape)
	}
	return n, nil
}
