// Package search finds the nearest neighbours of embeddings by cosine similarity.
//
// Vectors are L2-normalised when they enter an index, so cosine similarity is a dot product
// and a larger score is closer. Two searchers share that convention:
//
//   - Exact scores every indexed vector: queries are multiplied by the matrix of vectors in
//     blocks (gonum's float32 GEMM, one block per goroutine) and each query keeps a size-k heap.
//     Cost O(Q·N·D) flops, memory O(N·D) plus one Q×block score buffer per goroutine. Right up
//     to about a million vectors.
//   - HNSW is a hierarchical navigable small-world graph (Malkov & Yashunin, "Efficient and
//     robust approximate nearest neighbor search using Hierarchical Navigable Small World
//     graphs", TPAMI 2018): greedy descent through sparse upper layers, then a best-first
//     search of width ef on layer 0. Build O(N·log N·efConstruction·D), search about
//     O(log N·ef·D); approximate, so its recall against Exact is measured (Recall).
//
// An Index (a folder: index.json, vectors.npy, labels.npy, ids.txt and, for HNSW, hnsw.bin)
// joins the vectors with the item ids, labels and class names of the `scl embed` outputs it was
// built from, and searches with an optional label filter.
//
// Exact, HNSW and Index are safe for concurrent searches once built; building is not
// concurrent with searching.
package search
