// Package viz draws what an encoder learned as PNG images: retrieval grids (a query followed
// by its nearest neighbours, framed green or red by label, with the similarity under each
// thumbnail) and 2-D maps of embeddings coloured by class with a legend of class names.
//
// Text uses the 7×13 bitmap face of golang.org/x/image, so drawings need no font files. The
// functions are pure (no I/O besides WritePNG) and safe for concurrent use.
package viz
