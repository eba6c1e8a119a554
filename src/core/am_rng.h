/* am_rng: counter-based random streams (Philox4x32-10 from Random123).
 *
 * A stream is a Philox key derived from (seed, stream name), e.g. "maze.motion", "cells.spikes".
 * A draw is addressed by a counter (step, entity, draw): the same address always gives the same
 * bits, whatever the thread count or loop order. Counter layout: ctr = {draw, entity, step low 32,
 * step high 32}; key = two 32-bit words from SplitMix64(seed ^ FNV-1a-64(name)).
 *
 * For gsl_ran_* distributions, am_rng_gsl_alloc gives a gsl_rng positioned with am_rng_gsl_seek:
 * after a seek to (step, entity) its successive outputs are the words of blocks
 * (step, entity, 0), (step, entity, 1), ... in order. */
#ifndef AM_RNG_H
#define AM_RNG_H

#include <stdint.h>
#include <gsl/gsl_rng.h>

typedef struct am_stream {
    uint32_t key[2];
} am_stream;

/* Key of the stream `name` for `seed`. Different names give unrelated streams. */
am_stream am_stream_make(uint64_t seed, const char *name);

/* Raw Philox4x32-10 on an explicit counter and key (for known-answer tests). */
void am_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* The four 32-bit words at (step, entity, draw) of stream s. */
void am_rng_block(am_stream s, uint64_t step, uint32_t entity, uint32_t draw, uint32_t out[4]);

/* Uniform double in the open interval (0, 1), 53 bits, from words 0-1 of the block.
 * am_rng_u01_pair returns two independent uniforms, from words 0-1 and 2-3. */
double am_rng_u01(am_stream s, uint64_t step, uint32_t entity, uint32_t draw);
void am_rng_u01_pair(am_stream s, uint64_t step, uint32_t entity, uint32_t draw, double u[2]);

/* Converts two 32-bit words to a uniform double in (0, 1) (never 0, never 1). */
double am_rng_words_to_u01(uint32_t hi, uint32_t lo);

/* Standard normal from the block at (step, entity, draw) (Box-Muller on its two uniforms). */
double am_rng_normal(am_stream s, uint64_t step, uint32_t entity, uint32_t draw);

/* gsl_rng adapter. Allocated positioned at (0, 0). NULL on allocation failure. Free with
 * gsl_rng_free. gsl_rng_set(r, seed) re-keys it as am_stream_make(seed, "gsl") and rewinds. */
extern const gsl_rng_type *am_rng_gsl_philox;
gsl_rng *am_rng_gsl_alloc(am_stream s);
void am_rng_gsl_seek(gsl_rng *r, uint64_t step, uint32_t entity);

#endif
