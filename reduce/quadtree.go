package reduce

import "math"

// quadtree holds the 2-D points of one t-SNE iteration: each node knows its centre of mass and
// point count, so a far cell acts as one point (Barnes–Hut).
type quadtree struct {
	nodes []qnode
	y     []float64
}

type qnode struct {
	cx, cy, half float64  // cell centre and half-width
	mx, my       float64  // centre of mass
	count        int      // points below
	point        int      // the single point of a leaf, −1 otherwise
	child        [4]int32 // 0 when absent (node 0 is the root, never a child)
}

func buildQuadtree(y []float64, n int) *quadtree {
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for i := range n {
		minX, maxX = min(minX, y[2*i]), max(maxX, y[2*i])
		minY, maxY = min(minY, y[2*i+1]), max(maxY, y[2*i+1])
	}
	half := max(maxX-minX, maxY-minY)/2 + 1e-5
	t := &quadtree{y: y, nodes: make([]qnode, 1, 2*n+1)}
	t.nodes[0] = qnode{cx: (minX + maxX) / 2, cy: (minY + maxY) / 2, half: half, point: -1}
	for i := range n {
		t.insert(0, i, 0)
	}
	return t
}

func (t *quadtree) insert(ni, i, depth int) {
	px, py := t.y[2*i], t.y[2*i+1]
	nd := &t.nodes[ni]
	c := float64(nd.count)
	nd.mx = (nd.mx*c + px) / (c + 1)
	nd.my = (nd.my*c + py) / (c + 1)
	nd.count++
	if nd.count == 1 {
		nd.point = i
		return
	}
	// Coincident points (or a very deep tree): keep them together in this leaf.
	if depth > 50 {
		return
	}
	if nd.point >= 0 {
		old := nd.point
		nd.point = -1
		t.descend(ni, old, depth)
	}
	t.descend(ni, i, depth)
}

// descend inserts point i into the right child of node ni, creating it.
func (t *quadtree) descend(ni, i, depth int) {
	nd := t.nodes[ni]
	q := 0
	if t.y[2*i] > nd.cx {
		q |= 1
	}
	if t.y[2*i+1] > nd.cy {
		q |= 2
	}
	if nd.child[q] == 0 {
		h := nd.half / 2
		cx, cy := nd.cx-h, nd.cy-h
		if q&1 != 0 {
			cx = nd.cx + h
		}
		if q&2 != 0 {
			cy = nd.cy + h
		}
		t.nodes = append(t.nodes, qnode{cx: cx, cy: cy, half: h, point: -1})
		t.nodes[ni].child[q] = int32(len(t.nodes) - 1)
	}
	t.insert(int(t.nodes[ni].child[q]), i, depth+1)
}

// forces adds the repulsive force numerators Σ q²·(y_i − y_j) and Z contributions Σ q of the
// points under node ni on the point (px, py), treating a cell as one point when
// (2·half)² / d² < θ².
func (t *quadtree) forces(ni int, px, py, theta2 float64, fx, fy, z *float64) {
	nd := &t.nodes[ni]
	if nd.count == 0 {
		return
	}
	dx, dy := px-nd.mx, py-nd.my
	d2 := dx*dx + dy*dy
	leaf := nd.child == [4]int32{}
	if leaf && d2 < 1e-24 {
		// The point itself (and exact duplicates, which exert no force).
		return
	}
	w := 2 * nd.half
	if leaf || w*w < theta2*d2 {
		q := 1 / (1 + d2)
		c := float64(nd.count)
		*z += c * q
		*fx += c * q * q * dx
		*fy += c * q * q * dy
		return
	}
	for _, ch := range nd.child {
		if ch != 0 {
			t.forces(int(ch), px, py, theta2, fx, fy, z)
		}
	}
}
