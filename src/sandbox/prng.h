/* Small deterministic random numbers for the sandbox: splitmix64 streams
 * seeded from a hash of (seed, shop, day, id, ...). The same inputs give the
 * same numbers on every platform, which is what makes the data reproducible. */
#ifndef MS_SANDBOX_PRNG_H
#define MS_SANDBOX_PRNG_H

#include <stdint.h>

struct sb_rng {
  uint64_t state; /* splitmix64 state */
};

static inline uint64_t sb_mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* A well-mixed hash of up to four values, e.g. (seed, shop, day, salt). */
static inline uint64_t sb_hash4(uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
  uint64_t h = sb_mix64(a + 0x9e3779b97f4a7c15ULL);
  h = sb_mix64(h ^ (b + 0x632be59bd9b4e019ULL));
  h = sb_mix64(h ^ (c + 0x85ebca77c2b2ae63ULL));
  return sb_mix64(h ^ (d + 0xc2b2ae3d27d4eb4fULL));
}

static inline void sb_rng_seed(struct sb_rng *r, uint64_t seed) {
  r->state = seed;
}

static inline uint64_t sb_rng_next(struct sb_rng *r) {
  r->state += 0x9e3779b97f4a7c15ULL;
  return sb_mix64(r->state);
}

/* Uniform in [0, n); n MUST be > 0. */
static inline uint64_t sb_rng_below(struct sb_rng *r, uint64_t n) {
  return (uint64_t)(((unsigned __int128)sb_rng_next(r) * n) >> 64);
}

/* True with probability pct/100. */
static inline int sb_rng_pct(struct sb_rng *r, unsigned pct) {
  return sb_rng_below(r, 100) < pct;
}

/* Uniform in [0, 1). */
static inline double sb_rng_unit(struct sb_rng *r) {
  return (double)(sb_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

#endif
