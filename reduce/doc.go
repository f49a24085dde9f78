// Package reduce maps embeddings to two dimensions for drawing: PCA (the top principal
// components, from the eigen-decomposition of the D×D covariance, O(N·D² + D³)) and t-SNE
// (van der Maaten & Hinton, "Visualizing Data using t-SNE", JMLR 2008), exact for up to
// ExactTSNEMax points (O(N²) per iteration) and Barnes–Hut above (van der Maaten, "Accelerating
// t-SNE using Tree-Based Algorithms", JMLR 2014: sparse input affinities over the 3·perplexity
// nearest neighbours, a quadtree for the repulsive forces, O(N log N) per iteration).
//
// Inputs are row-major float32 [N, D]; outputs float64 [N, 2]. Functions are deterministic for
// a given seed and safe for concurrent use.
package reduce
