package server

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
)

// parsedRequest is what the handlers need from either endpoint.
type parsedRequest struct {
	images [][]byte // encoded image files
	format string   // "float" or "base64"
	model  string   // requested model name, "" when absent
	dims   int      // requested dimensions, 0 when absent
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
		b, err := bodyBytes(r.Body)
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
