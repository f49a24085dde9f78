package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// auth requires "Authorization: Bearer <APIKey>" when an API key is configured. The scheme
// name is case-insensitive (RFC 7235 §2.1). The token is compared through SHA-256 digests of
// fixed size, so the comparison's time reveals neither the key nor its length.
func (s *Server) auth(h handler) handler {
	if s.cfg.APIKey == "" {
		return h
	}
	want := sha256.Sum256([]byte(s.cfg.APIKey))
	return func(w http.ResponseWriter, r *http.Request) error {
		token, ok := bearerToken(r.Header.Get("Authorization"))
		got := sha256.Sum256([]byte(token))
		if constantTimeCompare(got[:], want[:]) != 1 || !ok {
			return errUnauthorized
		}
		return h(w, r)
	}
}

// constantTimeCompare is subtle.ConstantTimeCompare; a variable so that a test can check
// that only fixed-size digests reach it.
var constantTimeCompare = subtle.ConstantTimeCompare

// bearerToken returns the credentials of an Authorization header of the Bearer scheme (any
// case, one or more spaces after the scheme name), and whether the header had that form.
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimLeft(token, " ")
	return token, token != ""
}
