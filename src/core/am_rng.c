/* am_rng: counter-based random streams on Philox4x32-10 (Random123). See am_rng.h. */
#include "am_rng.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include <Random123/philox.h>

static uint64_t am_fnv1a64(const char *s) {
    uint64_t h = 0xcbf29ce484222325ULL;
    if (s) {
        for (; *s; s++) {
            h ^= (uint64_t)(unsigned char)*s;
            h *= 0x100000001b3ULL;
        }
    }
    return h;
}

static uint64_t am_splitmix64(uint64_t x) {
    uint64_t z = x + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

am_stream am_stream_make(uint64_t seed, const char *name) {
    uint64_t k = am_splitmix64(seed ^ am_fnv1a64(name));
    am_stream s;
    s.key[0] = (uint32_t)(k & 0xffffffffu);
    s.key[1] = (uint32_t)(k >> 32);
    return s;
}

void am_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
    philox4x32_ctr_t c;
    philox4x32_key_t k;
    for (int i = 0; i < 4; i++)
        c.v[i] = ctr[i];
    k.v[0] = key[0];
    k.v[1] = key[1];
    philox4x32_ctr_t r = philox4x32_R(10, c, k);
    for (int i = 0; i < 4; i++)
        out[i] = r.v[i];
}

void am_rng_block(am_stream s, uint64_t step, uint32_t entity, uint32_t draw, uint32_t out[4]) {
    const uint32_t ctr[4] = {draw, entity, (uint32_t)(step & 0xffffffffu), (uint32_t)(step >> 32)};
    am_philox4x32_10(ctr, s.key, out);
}

/* 53 random bits x; u = x * 2^-53 lies in [0, 1 - 2^-53]; x == 0 is mapped to 2^-54 (the middle
 * of the first cell) so that the result is never 0. (The "(x + 0.5) * 2^-53" form would round to
 * exactly 1.0 for x = 2^53 - 1, since 2^53 - 0.5 is not a double.) */
double am_rng_words_to_u01(uint32_t hi, uint32_t lo) {
    uint64_t x = ((uint64_t)hi << 21) ^ (uint64_t)(lo >> 11);
    if (x == 0) return 0x1p-54;
    return (double)x * 0x1p-53;
}

double am_rng_u01(am_stream s, uint64_t step, uint32_t entity, uint32_t draw) {
    uint32_t w[4];
    am_rng_block(s, step, entity, draw, w);
    return am_rng_words_to_u01(w[0], w[1]);
}

void am_rng_u01_pair(am_stream s, uint64_t step, uint32_t entity, uint32_t draw, double u[2]) {
    uint32_t w[4];
    am_rng_block(s, step, entity, draw, w);
    u[0] = am_rng_words_to_u01(w[0], w[1]);
    u[1] = am_rng_words_to_u01(w[2], w[3]);
}

double am_rng_normal(am_stream s, uint64_t step, uint32_t entity, uint32_t draw) {
    double u[2];
    am_rng_u01_pair(s, step, entity, draw, u);
    const double two_pi = 6.283185307179586476925286766559;
    return sqrt(-2.0 * log(u[0])) * cos(two_pi * u[1]);
}

/* ---- gsl_rng adapter ---------------------------------------------------------------------- */

typedef struct am_philox_gsl_state {
    am_stream stream;
    uint64_t step;
    uint32_t entity;
    uint32_t draw;   /* index of the next block to compute */
    uint32_t buf[4]; /* current block */
    unsigned pos;    /* next word of buf to return; 4 = buffer empty */
} am_philox_gsl_state;

static void am_philox_gsl_rewind(am_philox_gsl_state *st, uint64_t step, uint32_t entity) {
    st->step = step;
    st->entity = entity;
    st->draw = 0;
    memset(st->buf, 0, sizeof st->buf);
    st->pos = 4;
}

static void am_philox_gsl_set(void *vstate, unsigned long seed) {
    am_philox_gsl_state *st = vstate;
    st->stream = am_stream_make((uint64_t)seed, "gsl");
    am_philox_gsl_rewind(st, 0, 0);
}

static unsigned long am_philox_gsl_get(void *vstate) {
    am_philox_gsl_state *st = vstate;
    if (st->pos >= 4) {
        am_rng_block(st->stream, st->step, st->entity, st->draw, st->buf);
        st->draw++;
        st->pos = 0;
    }
    return (unsigned long)st->buf[st->pos++];
}

static double am_philox_gsl_get_double(void *vstate) {
    /* [0, 1) with 32 bits, as gsl_rng_uniform requires. */
    return (double)am_philox_gsl_get(vstate) * 0x1p-32;
}

static const gsl_rng_type am_philox_gsl_type = {"am_philox",
                                                0xffffffffUL,
                                                0UL,
                                                sizeof(am_philox_gsl_state),
                                                am_philox_gsl_set,
                                                am_philox_gsl_get,
                                                am_philox_gsl_get_double};

const gsl_rng_type *am_rng_gsl_philox = &am_philox_gsl_type;

gsl_rng *am_rng_gsl_alloc(am_stream s) {
    gsl_rng *r = gsl_rng_alloc(am_rng_gsl_philox);
    if (!r) return NULL;
    am_philox_gsl_state *st = r->state;
    st->stream = s;
    am_philox_gsl_rewind(st, 0, 0);
    return r;
}

void am_rng_gsl_seek(gsl_rng *r, uint64_t step, uint32_t entity) {
    if (!r || r->type != am_rng_gsl_philox) return;
    am_philox_gsl_rewind(r->state, step, entity);
}
