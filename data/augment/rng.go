package augment

import (
	"math"
	"math/bits"
)

// RNG is a small, fast pseudo-random generator (xoshiro256**, seeded through SplitMix64) whose
// output depends only on its seed: the same seed gives the same numbers on every machine and Go
// version. It is not safe for concurrent use.
type RNG struct{ s [4]uint64 }

// NewRNG returns a generator seeded with seed.
func NewRNG(seed uint64) *RNG {
	r := &RNG{}
	r.Seed(seed)
	return r
}

// Seed resets the generator to the state derived from seed.
func (r *RNG) Seed(seed uint64) {
	for i := range r.s {
		seed += 0x9e3779b97f4a7c15
		r.s[i] = mix64(seed)
	}
}

// mix64 is SplitMix64's output function (Steele, Lea & Flood 2014).
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// SeedFor derives the seed of one item's random stream from a run seed, an epoch and the item's
// index in the data set, so an item's views do not depend on which worker, rank or batch
// position produces them.
func SeedFor(seed uint64, epoch, index int) uint64 {
	h := mix64(seed + 0x9e3779b97f4a7c15)
	h = mix64(h ^ (uint64(epoch) + 0x632be59bd9b4e019))
	return mix64(h ^ (uint64(index) + 0x85157af5))
}

func rotl(x uint64, k uint) uint64 { return x<<k | x>>(64-k) }

// Uint64 returns 64 uniformly random bits.
func (r *RNG) Uint64() uint64 {
	s := &r.s
	out := rotl(s[1]*5, 7) * 9
	t := s[1] << 17
	s[2] ^= s[0]
	s[3] ^= s[1]
	s[1] ^= s[2]
	s[0] ^= s[3]
	s[2] ^= t
	s[3] = rotl(s[3], 45)
	return out
}

// Float64 returns a uniform number in [0, 1) with 53 random bits.
func (r *RNG) Float64() float64 { return float64(r.Uint64()>>11) * (1.0 / (1 << 53)) }

// Uniform returns a uniform number in [a, b).
func (r *RNG) Uniform(a, b float64) float64 { return a + (b-a)*r.Float64() }

// LogUniform returns exp(U(log a, log b)), a, b > 0.
func (r *RNG) LogUniform(a, b float64) float64 {
	return math.Exp(r.Uniform(math.Log(a), math.Log(b)))
}

// Intn returns a uniform integer in [0, n), n > 0, without modulo bias (Lemire 2019).
func (r *RNG) Intn(n int) int {
	if n <= 0 {
		panic("augment: Intn with n ≤ 0")
	}
	un := uint64(n)
	hi, lo := bits.Mul64(r.Uint64(), un)
	if lo < un {
		thresh := -un % un
		for lo < thresh {
			hi, lo = bits.Mul64(r.Uint64(), un)
		}
	}
	return int(hi)
}

// Perm fills p with a uniformly random permutation of 0..len(p)-1 (Fisher–Yates).
func (r *RNG) Perm(p []int) {
	for i := range p {
		p[i] = i
	}
	for i := len(p) - 1; i > 0; i-- {
		j := r.Intn(i + 1)
		p[i], p[j] = p[j], p[i]
	}
}
