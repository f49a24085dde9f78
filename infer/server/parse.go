package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
)

// embeddingsRequest is the body of POST /v1/embeddings (OpenAI's shape; fields OpenAI
// clients add, such as "user", are accepted and ignored).
type embeddingsRequest struct {
	Input          json.RawMessage `json:"input"`
	Model          string          `json:"model"`
	EncodingFormat string          `json:"encoding_format"`
	Dimensions     *int            `json:"dimensions"`
}

// parsedRequest is what the handlers need from either endpoint.
type parsedRequest struct {
	images [][]byte // encoded image files
	format string   // "float" or "base64"
	model  string   // requested model name, "" when absent
	dims   int      // requested dimensions, 0 when absent
}

// parseEmbeddingsRequest reads a /v1/embeddings body. Errors are *Error (400) or the body
// reader's errors (e.g. *http.MaxBytesError).
func parseEmbeddingsRequest(body io.Reader, maxImages int) (parsedRequest, error) {
	raw, err := io.ReadAll(body)
	if err != nil {
		return parsedRequest{}, err
	}
	var req embeddingsRequest
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&req); err != nil {
		return parsedRequest{}, badRequest("body: invalid JSON: %v", err)
	}
	if dec.More() {
		return parsedRequest{}, badRequest("body: trailing data after the JSON object")
	}
	p := parsedRequest{model: req.Model}
	if p.format, err = checkFormat(req.EncodingFormat); err != nil {
		return parsedRequest{}, err
	}
	if req.Dimensions != nil {
		if *req.Dimensions <= 0 {
			return parsedRequest{}, badRequest("dimensions: got %d, want a positive number", *req.Dimensions)
		}
		p.dims = *req.Dimensions
	}
	in := bytes.TrimSpace(req.Input)
	var inputs []string
	switch {
	case len(in) == 0 || bytes.Equal(in, []byte("null")):
		return parsedRequest{}, badRequest("input: missing; want a base64 image or data URI, or a list of them")
	case in[0] == '"':
		var s string
		if err := json.Unmarshal(in, &s); err != nil {
			return parsedRequest{}, badRequest("input: %v", err)
		}
		inputs = []string{s}
	case in[0] == '[':
		var list []json.RawMessage
		if err := json.Unmarshal(in, &list); err != nil {
			return parsedRequest{}, badRequest("input: want a list of strings: %v", err)
		}
		for i, item := range list {
			var s string
			if err := json.Unmarshal(item, &s); err != nil {
				return parsedRequest{}, badRequest("input[%d]: want a string (base64 image or data URI), got %s", i, abbreviate(string(item)))
			}
			inputs = append(inputs, s)
		}
	default:
		return parsedRequest{}, badRequest("input: want a string or a list of strings, got %s", abbreviate(string(in)))
	}
	if len(inputs) == 0 {
		return parsedRequest{}, badRequest("input: empty list; want at least one image")
	}
	if len(inputs) > maxImages {
		return parsedRequest{}, badRequest("input: %d images, at most %d per request", len(inputs), maxImages)
	}
	for i, s := range inputs {
		b, err := decodeInput(s)
		if err != nil {
			return parsedRequest{}, badRequest("input[%d]: %v", i, err)
		}
		p.images = append(p.images, b)
	}
	return p, nil
}

func checkFormat(f string) (string, error) {
	switch f {
	case "", "float":
		return "float", nil
	case "base64":
		return "base64", nil
	}
	return "", badRequest("encoding_format: got %q, want float or base64", abbreviate(f))
}

// decodeInput turns one input string into image bytes: a data URI (data:image/...;base64,…)
// or bare base64 (standard or URL alphabet, padded or not). Remote URLs are refused.
func decodeInput(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	lower := strings.ToLower(s[:min(len(s), 16)])
	for _, scheme := range []string{"http://", "https://", "ftp://", "file:", "s3://", "gs://"} {
		if strings.HasPrefix(lower, scheme) {
			return nil, errors.New("remote URLs are not fetched; send the image as base64 or a data URI")
		}
	}
	if strings.HasPrefix(lower, "data:") {
		meta, payload, ok := strings.Cut(s[5:], ",")
		if !ok {
			return nil, errors.New("data URI without a comma before the payload")
		}
		if !strings.HasSuffix(strings.ToLower(meta), ";base64") {
			return nil, errors.New("data URI is not base64-encoded; want data:image/...;base64,...")
		}
		s = payload
	}
	// Padding carries no data: "=" or "data:image/png;base64,=" is an empty image too, so the
	// emptiness check comes after the trim.
	s = strings.TrimRight(s, "=")
	if s == "" {
		return nil, errors.New("empty image")
	}
	enc := base64.RawStdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.RawURLEncoding
	}
	b, err := enc.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("invalid base64: %v", err)
	}
	return b, nil
}

// parseEmbedRequest reads POST /embed: the raw bytes of one image, or multipart/form-data
// whose file parts (any field name) are images, in order.
func parseEmbedRequest(r *http.Request, maxImages int) (parsedRequest, error) {
	p := parsedRequest{}
	var err error
	if p.format, err = checkFormat(r.URL.Query().Get("encoding_format")); err != nil {
		return parsedRequest{}, err
	}
	ct := r.Header.Get("Content-Type")
	mt, params, _ := mime.ParseMediaType(ct)
	if mt != "multipart/form-data" {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return parsedRequest{}, err
		}
		if len(b) == 0 {
			return parsedRequest{}, badRequest("body: empty; want the bytes of a JPEG or PNG image, or multipart/form-data")
		}
		p.images = [][]byte{b}
		return p, nil
	}
	boundary := params["boundary"]
	if boundary == "" {
		return parsedRequest{}, badRequest("Content-Type multipart/form-data without a boundary")
	}
	p.images, err = readMultipart(r.Body, boundary, maxImages)
	return p, err
}

func readMultipart(body io.Reader, boundary string, maxImages int) ([][]byte, error) {
	mr := multipart.NewReader(body, boundary)
	var images [][]byte
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return nil, err
			}
			return nil, badRequest("multipart body: %v", err)
		}
		if part.FileName() == "" && part.Header.Get("Content-Type") == "" {
			part.Close()
			continue // a plain form field, not an image
		}
		if len(images) == maxImages {
			return nil, badRequest("multipart body: more than %d images", maxImages)
		}
		b, err := io.ReadAll(part)
		part.Close()
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return nil, err
			}
			return nil, badRequest("multipart part %d: %v", len(images), err)
		}
		if len(b) == 0 {
			return nil, badRequest("multipart part %d (%q): empty file", len(images), part.FileName())
		}
		images = append(images, b)
	}
	if len(images) == 0 {
		return nil, badRequest("multipart body: no file parts; want one or more images")
	}
	return images, nil
}

func abbreviate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
