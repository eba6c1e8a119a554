/* am_netfile: the spiking network's saved state, read back from a session file, so that
 * `ammon run --init-from run.h5` can start a new run from where an earlier one ended.
 *
 * Layout read (written by `ammon run` with network.enabled = true; this module only reads it):
 *
 *   /network                 group, scalar attributes:
 *       n_e           integer (int64)  pyramidal cells, >= 1
 *       n_i           integer (int64)  basket cells, >= 0
 *       connect_seed  integer (int64)  seed of the connectivity draw (its 64 bits, read as uint64)
 *       dt_s          float64          network time step, s, > 0 and finite
 *   /network/final           group of 1-D datasets, the state at the end of the run:
 *       ee_row        int64   [n_e + 1]  CSR row offsets by presynaptic pyramidal cell:
 *                                        ee_row[0] = 0, non-decreasing, ee_row[n_e] = n_syn
 *       ee_post       int32   [n_syn]    postsynaptic pyramidal cell of each E->E synapse, in
 *                                        [0, n_e); synapses of cell i are ee_row[i]..ee_row[i+1]
 *       ee_weight_S   float32 [n_syn]    E->E weights, S, finite and >= 0
 *       pc_V, pc_w_A  float64 [n_e]      pyramidal membrane potential (V), adaptation current (A)
 *       bc_V, bc_w_A  float64 [n_i]      the same for basket cells
 *       stp_x         float64 [n_e]      short-term depression resources per presynaptic cell,
 *                                        each in [0, 1]
 *
 * Every dataset must be 1-D, of an integer type (ee_row, ee_post) or a floating-point type (the
 * others), of exactly the length above. Membrane potentials and adaptation currents must be finite.
 *
 * Ownership: every array is owned by the am_netfile and freed by am_netfile_free. */
#ifndef AM_NETFILE_H
#define AM_NETFILE_H

#include <stddef.h>
#include <stdint.h>
#include "am_error.h"

typedef struct am_netfile {
    char *path; /* file read */
    int n_e, n_i;
    uint64_t connect_seed;
    double dt_s;
    size_t n_syn;
    int64_t *ee_row;                   /* n_e + 1 */
    int32_t *ee_post;                  /* n_syn */
    float *ee_w;                       /* n_syn, S */
    double *pc_v, *pc_w, *bc_v, *bc_w; /* V, A; n_e and n_i entries */
    double *stp_x;                     /* n_e */
} am_netfile;

/* Reads and checks the snapshot in the session file at `path`. Returns NULL with err set on error:
 * AM_EIO when the file cannot be opened as HDF5; AM_EINVAL when it holds no /network/final, or an
 * attribute or dataset is missing, of the wrong type or length, or out of range (the message names
 * the file, the object and what was expected); AM_ENOMEM. HDF5 prints nothing; its error printing
 * is restored afterwards. Arrays are never NULL in a returned snapshot, even when empty. */
am_netfile *am_netfile_read(const char *path, am_error *err);

/* Frees f and its arrays. NULL is a no-op. */
void am_netfile_free(am_netfile *f);

/* The rate backend's saved weights (network.backend = rate): /network/final/rate_w, a 2-D
 * floating-point dataset of n x n entries, row-major, returned as float (caller frees). NULL with
 * err set: AM_EIO when the file cannot be opened as HDF5; AM_EINVAL when rate_w is missing (the
 * message asks whether the run used the rate backend), is not 2-D floating point or not n x n;
 * AM_ENOMEM. Messages read "rate snapshot '<path>': ...". */
float *am_netfile_read_rate_w(const char *path, int n, am_error *err);

#endif
