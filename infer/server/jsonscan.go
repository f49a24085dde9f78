package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// bufferedBody is a request body already read into memory (by limited); parsers take its
// bytes directly instead of copying them.
type bufferedBody struct {
	*bytes.Reader
	b []byte
}

func (*bufferedBody) Close() error { return nil }

// bodyBytes returns the bytes of a body, without a copy when it is a bufferedBody.
func bodyBytes(r io.Reader) ([]byte, error) {
	if bb, ok := r.(*bufferedBody); ok {
		return bb.b, nil
	}
	return io.ReadAll(r)
}

// parseEmbeddingsRequest reads a /v1/embeddings body. The JSON is scanned in place: each
// input string is base64-decoded straight from the body's bytes, so a request costs its body
// plus the decoded images (about 1.75× the body), not the copies a generic decoder makes
// (raw message, string, bytes: ~6×). Errors are *Error (400) or the body reader's errors
// (e.g. *http.MaxBytesError).
func parseEmbeddingsRequest(body io.Reader, maxImages int) (parsedRequest, error) {
	b, err := bodyBytes(body)
	if err != nil {
		return parsedRequest{}, err
	}
	sc := &jsonScanner{b: b}
	fields, err := sc.object()
	if err != nil {
		return parsedRequest{}, badRequest("body: invalid JSON: %v", err)
	}
	if sc.ws(); sc.i < len(b) {
		return parsedRequest{}, badRequest("body: trailing data after the JSON object")
	}
	p := parsedRequest{}
	var format string
	for _, f := range []struct {
		name string
		dst  *string
	}{{"model", &p.model}, {"encoding_format", &format}} {
		if v := fields[f.name]; v != nil && !isNull(v) {
			if err := json.Unmarshal(v, f.dst); err != nil {
				return parsedRequest{}, badRequest("body: invalid JSON: %s: want a string, got %s", f.name, abbreviate(string(v)))
			}
		}
	}
	if p.format, err = checkFormat(format); err != nil {
		return parsedRequest{}, err
	}
	if v := fields["dimensions"]; v != nil && !isNull(v) {
		var d int
		if err := json.Unmarshal(v, &d); err != nil {
			return parsedRequest{}, badRequest("body: invalid JSON: dimensions: want an integer, got %s", abbreviate(string(v)))
		}
		if d <= 0 {
			return parsedRequest{}, badRequest("dimensions: got %d, want a positive number", d)
		}
		p.dims = d
	}
	in := fields["input"]
	var items [][]byte // raw JSON strings, quotes included
	switch {
	case in == nil || isNull(in):
		return parsedRequest{}, badRequest("input: missing; want a base64 image or data URI, or a list of them")
	case in[0] == '"':
		items = [][]byte{in}
	case in[0] == '[':
		isc := &jsonScanner{b: in}
		var err error
		if items, err = isc.array(); err != nil {
			return parsedRequest{}, badRequest("input: want a list of strings: %v", err)
		}
		for i, it := range items {
			if it[0] != '"' {
				return parsedRequest{}, badRequest("input[%d]: want a string (base64 image or data URI), got %s", i, abbreviate(string(it)))
			}
		}
	default:
		return parsedRequest{}, badRequest("input: want a string or a list of strings, got %s", abbreviate(string(in)))
	}
	if len(items) == 0 {
		return parsedRequest{}, badRequest("input: empty list; want at least one image")
	}
	if len(items) > maxImages {
		return parsedRequest{}, badRequest("input: %d images, at most %d per request", len(items), maxImages)
	}
	for i, it := range items {
		raw := it[1 : len(it)-1]
		if !plainString(raw) { // escapes or non-ASCII: let encoding/json interpret them
			var s string
			if err := json.Unmarshal(it, &s); err != nil {
				return parsedRequest{}, badRequest("input[%d]: %v", i, err)
			}
			raw = []byte(s)
		}
		img, err := decodeInputBytes(raw)
		if err != nil {
			return parsedRequest{}, badRequest("input[%d]: %v", i, err)
		}
		p.images = append(p.images, img)
	}
	return p, nil
}

func isNull(v []byte) bool { return string(v) == "null" }

// plainString reports whether the content of a JSON string needs no unescaping: printable
// ASCII without backslashes.
func plainString(raw []byte) bool {
	for _, c := range raw {
		if c < 0x20 || c >= 0x80 || c == '\\' {
			return false
		}
	}
	return true
}

// decodeInputBytes is decodeInput on bytes: it decodes base64 (bare or in a data URI)
// straight from b into a new slice of the decoded size.
func decodeInputBytes(b []byte) ([]byte, error) {
	b = bytes.TrimSpace(b)
	head := b[:min(len(b), 16)]
	for _, scheme := range []string{"http://", "https://", "ftp://", "file:", "s3://", "gs://"} {
		if len(head) >= len(scheme) && bytes.EqualFold(head[:len(scheme)], []byte(scheme)) {
			return nil, errors.New("remote URLs are not fetched; send the image as base64 or a data URI")
		}
	}
	if len(head) >= 5 && bytes.EqualFold(head[:5], []byte("data:")) {
		meta, payload, ok := bytes.Cut(b[5:], []byte(","))
		if !ok {
			return nil, errors.New("data URI without a comma before the payload")
		}
		if len(meta) < 7 || !bytes.EqualFold(meta[len(meta)-7:], []byte(";base64")) {
			return nil, errors.New("data URI is not base64-encoded: want data:image/<type>;base64,<payload>")
		}
		b = payload
	}
	b = bytes.TrimRight(b, "=")
	if len(b) == 0 {
		return nil, errors.New("empty image")
	}
	enc := base64.RawStdEncoding
	if bytes.ContainsAny(b, "-_") {
		enc = base64.RawURLEncoding
	}
	out := make([]byte, enc.DecodedLen(len(b)))
	n, err := enc.Decode(out, b)
	if err != nil {
		return nil, fmt.Errorf("invalid base64: %v", err)
	}
	return out[:n], nil
}

// jsonScanner walks JSON text in place, returning sub-slices of it. Values it does not
// interpret are checked with json.Valid, so it accepts exactly valid JSON.
type jsonScanner struct {
	b []byte
	i int
}

func (s *jsonScanner) ws() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

func (s *jsonScanner) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", s.i, fmt.Sprintf(format, args...))
}

// object scans an object and returns its members by key (case-insensitive as encoding/json
// matches struct fields; the last of duplicate keys wins), values as raw JSON.
func (s *jsonScanner) object() (map[string][]byte, error) {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return nil, s.errorf("want a JSON object")
	}
	s.i++
	out := map[string][]byte{}
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return out, nil
	}
	for {
		s.ws()
		k, err := s.value()
		if err != nil {
			return nil, err
		}
		if k[0] != '"' {
			return nil, s.errorf("want a string key")
		}
		var key string
		if err := json.Unmarshal(k, &key); err != nil {
			return nil, err
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return nil, s.errorf("want ':' after key")
		}
		s.i++
		s.ws()
		v, err := s.value()
		if err != nil {
			return nil, err
		}
		for _, name := range []string{"input", "model", "encoding_format", "dimensions"} {
			if bytes.EqualFold([]byte(key), []byte(name)) {
				out[name] = v
			}
		}
		s.ws()
		if s.i >= len(s.b) {
			return nil, s.errorf("unexpected end of JSON input")
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return out, nil
		default:
			return nil, s.errorf("want ',' or '}' after object member")
		}
	}
}

// array scans the whole input as an array and returns its elements as raw JSON.
func (s *jsonScanner) array() ([][]byte, error) {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '[' {
		return nil, s.errorf("want '['")
	}
	s.i++
	var out [][]byte
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return out, nil
	}
	for {
		s.ws()
		v, err := s.value()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		s.ws()
		if s.i >= len(s.b) {
			return nil, s.errorf("unexpected end of JSON input")
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return out, nil
		default:
			return nil, s.errorf("want ',' or ']' after array element")
		}
	}
}

// value scans one JSON value and returns it. Strings are scanned here (their escapes are
// checked when they are unmarshalled or by json.Valid); other values are delimited by
// bracket depth and validated with json.Valid.
func (s *jsonScanner) value() ([]byte, error) {
	if s.i >= len(s.b) {
		return nil, s.errorf("unexpected end of JSON input")
	}
	start := s.i
	if s.b[s.i] == '"' {
		if err := s.skipString(); err != nil {
			return nil, err
		}
		v := s.b[start:s.i]
		if !plainString(v[1:len(v)-1]) && !json.Valid(v) {
			return nil, s.errorf("invalid string")
		}
		return v, nil
	}
	depth := 0
	for s.i < len(s.b) {
		switch c := s.b[s.i]; c {
		case '"':
			if err := s.skipString(); err != nil {
				return nil, err
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return s.checked(start)
			}
			depth--
			if depth == 0 {
				s.i++
				return s.checked(start)
			}
		case ',', ' ', '\t', '\n', '\r', ':':
			if depth == 0 {
				return s.checked(start)
			}
		}
		s.i++
	}
	return s.checked(start)
}

func (s *jsonScanner) checked(start int) ([]byte, error) {
	v := s.b[start:s.i]
	if len(v) == 0 || !json.Valid(v) {
		return nil, fmt.Errorf("offset %d: invalid value %s", start, abbreviate(string(v)))
	}
	return v, nil
}

// skipString moves past a string starting at s.i (a quote), honouring backslash escapes.
func (s *jsonScanner) skipString() error {
	start := s.i
	s.i++
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '\\':
			s.i += 2
			continue
		case '"':
			s.i++
			return nil
		}
		s.i++
	}
	s.i = start
	return s.errorf("unterminated string")
}
