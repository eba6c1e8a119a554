/* am_netfile: the network snapshot reader, and through it the shared HDF5 reading helpers of
 * src/io/am_h5read (context, messages naming the file and object, path checks, HDF5 error printer
 * restored after a failed read). */
#define _POSIX_C_SOURCE 200809L

#include "am_netfile.h"
#include "am_session.h"
#include "am_test.h"

#include <hdf5.h>

#include <dirent.h>
#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[256];

static void path_in(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s/%s", g_dir, name);
}

static void clear_dir(void) {
    DIR *d = opendir(g_dir);
    if (!d) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(p, sizeof p, "%s/%s", g_dir, e->d_name);
        unlink(p);
    }
    closedir(d);
}

/* --- a small snapshot: 4 pyramidal cells, 2 basket cells, 6 E->E synapses --- */

enum { NE = 4, NI = 2, NSYN = 6 };
/* Stored as int64; its bits read back as this uint64 (above INT64_MAX on purpose). */
#define SEED 0x8123456789abcdefULL
#define DT 1e-4

static const int64_t k_row[NE + 1] = {0, 2, 2, 5, 6};
static const int32_t k_post[NSYN] = {1, 3, 0, 2, 3, 1};
/* includes 0, a subnormal and FLT_MAX, to check bits */
static const float k_w[NSYN] = {1.25e-9f, 0.0f, 3.0e-10f, 1e-45f, FLT_MAX, 7.1e-10f};
static const double k_pc_v[NE] = {-0.0706, -0.0651234567890123, -0.05, -0.0700000000000001};
static const double k_pc_w[NE] = {0.0, 1.5e-11, 2.25e-10, 5e-324};
static const double k_bc_v[NI] = {-0.0645, -0.0599999};
static const double k_bc_w[NI] = {3e-12, 0.0};
static const double k_stp_x[NE] = {1.0, 0.0, 0.333333333333333, 0.9999999999999999};

/* How to spoil the snapshot. */
typedef enum variant {
    V_OK,
    V_NO_FINAL,    /* /network with its attributes, no /network/final */
    V_SHORT_W,     /* ee_weight_S one entry short */
    V_POST_RANGE,  /* ee_post holds n_e */
    V_STP_HIGH,    /* stp_x[2] = 1.5 */
    V_ROW_DOWN,    /* ee_row decreases */
    V_NAN_W,       /* a NaN weight */
    V_NEG_W,       /* a negative weight */
    V_NO_BC_W,     /* bc_w_A missing */
    V_NO_DT,       /* attribute dt_s missing */
    V_POST_I64,    /* ee_post written as int64 (a type the reader still accepts) */
    V_W_F64,       /* ee_weight_S written as float64 (accepted) */
    V_ROW_FLOAT,   /* ee_row written as float64 (refused) */
    V_PC_V_2D,     /* pc_V as a 2-D dataset */
    V_ROW_NONZERO, /* ee_row[0] = 1 */
    V_NE_FLOAT     /* n_e as a float64 attribute */
} variant;

/* Writes the snapshot (spoiled as `v` says) to path; returns 1 on success. */
static int write_net(const char *path, variant v) {
    am_error err = {0};
    am_session *s = am_session_create(path, &err);
    if (!s) return 0;
    size_t ne = NE, ni = NI, nrow = NE + 1, nsyn = NSYN;
    int64_t row[NE + 1];
    int32_t post[NSYN];
    int64_t post64[NSYN];
    float w[NSYN];
    double w64[NSYN], rowf[NE + 1], stp[NE];
    memcpy(row, k_row, sizeof row);
    memcpy(post, k_post, sizeof post);
    memcpy(w, k_w, sizeof w);
    memcpy(stp, k_stp_x, sizeof stp);
    for (int k = 0; k < NSYN; k++) {
        post64[k] = post[k];
        w64[k] = w[k];
    }
    for (int i = 0; i <= NE; i++)
        rowf[i] = (double)row[i];
    if (v == V_POST_RANGE) post[4] = NE;
    if (v == V_STP_HIGH) stp[2] = 1.5;
    if (v == V_ROW_DOWN) row[2] = 1;
    if (v == V_NAN_W) w[3] = NAN;
    if (v == V_NEG_W) w[0] = -1e-12f;
    if (v == V_ROW_NONZERO) row[0] = 1;

    am_status st = am_session_group(s, "/network", &err);
    if (v == V_NE_FLOAT)
        st = st ? st : am_session_attr_f64(s, "/network", "n_e", NE, &err);
    else
        st = st ? st : am_session_attr_i64(s, "/network", "n_e", NE, &err);
    st = st ? st : am_session_attr_i64(s, "/network", "n_i", NI, &err);
    st = st ? st : am_session_attr_i64(s, "/network", "connect_seed", (int64_t)SEED, &err);
    if (v != V_NO_DT) st = st ? st : am_session_attr_f64(s, "/network", "dt_s", DT, &err);
    if (v != V_NO_FINAL) {
        if (v == V_ROW_FLOAT)
            st = st ? st : am_session_write_f64(s, "/network/final/ee_row", rowf, 1, &nrow, &err);
        else
            st = st ? st : am_session_write_i64(s, "/network/final/ee_row", row, 1, &nrow, &err);
        if (v == V_POST_I64)
            st =
                st ? st : am_session_write_i64(s, "/network/final/ee_post", post64, 1, &nsyn, &err);
        else
            st = st ? st : am_session_write_i32(s, "/network/final/ee_post", post, 1, &nsyn, &err);
        size_t nw = v == V_SHORT_W ? nsyn - 1 : nsyn;
        if (v == V_W_F64)
            st = st ? st : am_session_write_f64(s, "/network/final/ee_weight_S", w64, 1, &nw, &err);
        else
            st = st ? st : am_session_write_f32(s, "/network/final/ee_weight_S", w, 1, &nw, &err);
        if (v == V_PC_V_2D) {
            size_t d2[2] = {2, 2};
            st = st ? st : am_session_write_f64(s, "/network/final/pc_V", k_pc_v, 2, d2, &err);
        } else {
            st = st ? st : am_session_write_f64(s, "/network/final/pc_V", k_pc_v, 1, &ne, &err);
        }
        st = st ? st : am_session_write_f64(s, "/network/final/pc_w_A", k_pc_w, 1, &ne, &err);
        st = st ? st : am_session_write_f64(s, "/network/final/bc_V", k_bc_v, 1, &ni, &err);
        if (v != V_NO_BC_W)
            st = st ? st : am_session_write_f64(s, "/network/final/bc_w_A", k_bc_w, 1, &ni, &err);
        st = st ? st : am_session_write_f64(s, "/network/final/stp_x", stp, 1, &ne, &err);
    }
    if (st) {
        fprintf(stderr, "write_net: %s\n", err.msg);
        am_session_abort(s);
        return 0;
    }
    return am_session_commit(s, &err) == AM_OK;
}

/* --- tests --- */

static void test_read_valid(void) {
    char p[512];
    path_in(p, sizeof p, "net.h5");
    CHECK(write_net(p, V_OK));
    am_error err = {0};
    am_netfile *f = am_netfile_read(p, &err);
    CHECK(f != NULL);
    if (!f) {
        fprintf(stderr, "%s\n", err.msg);
        return;
    }
    CHECK(strcmp(f->path, p) == 0);
    CHECK(f->n_e == NE && f->n_i == NI);
    CHECK(f->connect_seed == SEED);
    CHECK(memcmp(&f->dt_s, &(double){DT}, sizeof(double)) == 0);
    CHECK(f->n_syn == NSYN);
    CHECK(memcmp(f->ee_row, k_row, sizeof k_row) == 0);
    CHECK(memcmp(f->ee_post, k_post, sizeof k_post) == 0);
    CHECK(memcmp(f->ee_w, k_w, sizeof k_w) == 0);
    CHECK(memcmp(f->pc_v, k_pc_v, sizeof k_pc_v) == 0);
    CHECK(memcmp(f->pc_w, k_pc_w, sizeof k_pc_w) == 0);
    CHECK(memcmp(f->bc_v, k_bc_v, sizeof k_bc_v) == 0);
    CHECK(memcmp(f->bc_w, k_bc_w, sizeof k_bc_w) == 0);
    CHECK(memcmp(f->stp_x, k_stp_x, sizeof k_stp_x) == 0);
    am_netfile_free(f);
    am_netfile_free(NULL); /* no-op */
    unlink(p);
}

/* Types that convert without loss are accepted: int64 posts, float64 weights. */
static void test_read_wider_types(void) {
    char p[512];
    path_in(p, sizeof p, "wide.h5");
    variant vs[] = {V_POST_I64, V_W_F64};
    for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++) {
        CHECK(write_net(p, vs[i]));
        am_error err = {0};
        am_netfile *f = am_netfile_read(p, &err);
        CHECK(f != NULL);
        if (f) {
            CHECK(memcmp(f->ee_post, k_post, sizeof k_post) == 0);
            CHECK(memcmp(f->ee_w, k_w, sizeof k_w) == 0);
        } else {
            fprintf(stderr, "%s\n", err.msg);
        }
        am_netfile_free(f);
        unlink(p);
    }
}

static void test_missing_file(void) {
    char p[512];
    path_in(p, sizeof p, "nope.h5");
    am_error err = {0};
    CHECK(am_netfile_read(p, &err) == NULL);
    CHECK(err.code == AM_EIO);
    CHECK_STR_CONTAINS(err.msg, "cannot open");
    CHECK_STR_CONTAINS(err.msg, p);

    /* a file that is not HDF5 */
    path_in(p, sizeof p, "text.h5");
    FILE *fp = fopen(p, "w");
    CHECK(fp != NULL);
    if (fp) {
        fputs("not hdf5\n", fp);
        fclose(fp);
    }
    am_error_clear(&err);
    CHECK(am_netfile_read(p, &err) == NULL);
    CHECK(err.code == AM_EIO);
    CHECK_STR_CONTAINS(err.msg, "as HDF5");
    CHECK_STR_CONTAINS(err.msg, p);
    unlink(p);

    am_error_clear(&err);
    CHECK(am_netfile_read(NULL, &err) == NULL);
    CHECK(err.code == AM_EINVAL);
}

static void test_no_final(void) {
    char p[512];
    path_in(p, sizeof p, "nofinal.h5");
    CHECK(write_net(p, V_NO_FINAL));
    am_error err = {0};
    CHECK(am_netfile_read(p, &err) == NULL);
    CHECK(err.code == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, p);
    CHECK_STR_CONTAINS(err.msg, "/network/final");
    CHECK_STR_CONTAINS(err.msg, "network.enabled = true");
    unlink(p);

    /* a session file with no /network at all */
    am_session *s = am_session_create(p, &err);
    CHECK(s != NULL);
    if (!s) return;
    size_t n = 1;
    double x = 1;
    CHECK(am_session_write_f64(s, "/other/x", &x, 1, &n, &err) == AM_OK);
    CHECK(am_session_commit(s, &err) == AM_OK);
    am_error_clear(&err);
    CHECK(am_netfile_read(p, &err) == NULL);
    CHECK(err.code == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "holds no saved network");
    unlink(p);
}

/* Each spoiled snapshot: NULL, AM_EINVAL, and a message that names the object and the file. */
static void expect_bad(variant v, const char *object, const char *also) {
    char p[512];
    path_in(p, sizeof p, "bad.h5");
    CHECK(write_net(p, v));
    am_error err = {0};
    am_netfile *f = am_netfile_read(p, &err);
    CHECK(f == NULL);
    am_netfile_free(f);
    CHECK(err.code == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, object);
    CHECK_STR_CONTAINS(err.msg, p);
    if (also) CHECK_STR_CONTAINS(err.msg, also);
    unlink(p);
}

static void test_bad_weight_length(void) {
    expect_bad(V_SHORT_W, "/network/final/ee_weight_S", "has 5 entries; expected n_syn");
}

static void test_post_out_of_range(void) {
    expect_bad(V_POST_RANGE, "/network/final/ee_post", "[0, n_e = 4)");
}

static void test_stp_out_of_range(void) {
    expect_bad(V_STP_HIGH, "/network/final/stp_x", "[0, 1]");
}

static void test_other_errors(void) {
    expect_bad(V_ROW_DOWN, "/network/final/ee_row", "non-decreasing");
    expect_bad(V_ROW_NONZERO, "/network/final/ee_row", "expected 0");
    expect_bad(V_NAN_W, "/network/final/ee_weight_S", ">= 0");
    expect_bad(V_NEG_W, "/network/final/ee_weight_S", ">= 0");
    expect_bad(V_NO_BC_W, "/network/final/bc_w_A", "missing");
    expect_bad(V_NO_DT, "dt_s", "no attribute");
    expect_bad(V_ROW_FLOAT, "/network/final/ee_row", "int64");
    expect_bad(V_PC_V_2D, "/network/final/pc_V", "rank 2");
    expect_bad(V_NE_FLOAT, "n_e", "integer");
}

/* HDF5's error printing is off during the read and restored afterwards. */
static void test_error_printing_restored(void) {
    H5E_auto2_t f0 = NULL, f1 = NULL;
    void *d0 = NULL, *d1 = NULL;
    H5Eget_auto2(H5E_DEFAULT, &f0, &d0);
    char p[512];
    path_in(p, sizeof p, "nope.h5");
    am_error err = {0};
    CHECK(am_netfile_read(p, &err) == NULL);
    H5Eget_auto2(H5E_DEFAULT, &f1, &d1);
    CHECK(f0 == f1 && d0 == d1);
}

/* am_session_write_f32: float32 on disk, every bit kept (NaN payload, -0, subnormals, inf), for a
 * small contiguous and a large chunked dataset. */
static void test_write_f32(void) {
    char p[512];
    path_in(p, sizeof p, "f32.h5");
    am_error err = {0};
    am_session *s = am_session_create(p, &err);
    CHECK(s != NULL);
    if (!s) return;
    float small[8] = {0.0f, -0.0f, 1.0f, -3.5f, 1e-45f, FLT_MAX, INFINITY, NAN};
    size_t n_small = 8, n_big = 10000, d2[2] = {2, 4};
    float *big = malloc(n_big * sizeof *big);
    CHECK(big != NULL);
    if (!big) {
        am_session_abort(s);
        return;
    }
    for (size_t i = 0; i < n_big; i++)
        big[i] = (float)i * 0.37f - 100.0f;
    float scalar = 2.5f;
    CHECK(am_session_write_f32(s, "/a/small", small, 1, &n_small, &err) == AM_OK);
    CHECK(am_session_write_f32(s, "/a/big", big, 1, &n_big, &err) == AM_OK);
    CHECK(am_session_write_f32(s, "/a/mat", small, 2, d2, &err) == AM_OK);
    CHECK(am_session_write_f32(s, "/a/scalar", &scalar, 0, NULL, &err) == AM_OK);
    /* errors as for the other writers */
    CHECK(am_session_write_f32(s, "/a/small", small, 1, &n_small, &err) == AM_EINVAL);
    CHECK_STR_CONTAINS(err.msg, "already exists");
    CHECK(am_session_commit(s, &err) == AM_OK);

    hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0);
    if (f >= 0) {
        const char *names[] = {"/a/small", "/a/big", "/a/mat", "/a/scalar"};
        const float *want[] = {small, big, small, &scalar};
        size_t counts[] = {8, 10000, 8, 1};
        for (int k = 0; k < 4; k++) {
            hid_t d = H5Dopen2(f, names[k], H5P_DEFAULT);
            CHECK(d >= 0);
            if (d < 0) continue;
            hid_t t = H5Dget_type(d), sp = H5Dget_space(d);
            CHECK(H5Tequal(t, H5T_IEEE_F32LE) > 0);
            CHECK(H5Sget_simple_extent_npoints(sp) == (hssize_t)counts[k]);
            float *got = calloc(counts[k], sizeof *got);
            CHECK(got != NULL);
            if (got) {
                CHECK(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, got) >= 0);
                CHECK(memcmp(got, want[k], counts[k] * sizeof *got) == 0);
            }
            free(got);
            H5Sclose(sp);
            H5Tclose(t);
            H5Dclose(d);
        }
        H5Fclose(f);
    }
    free(big);
    unlink(p);
}

int main(void) {
    snprintf(g_dir, sizeof g_dir, "/tmp/ammon_test_netfile_XXXXXX");
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN_TEST(test_read_valid);
    RUN_TEST(test_read_wider_types);
    RUN_TEST(test_missing_file);
    RUN_TEST(test_no_final);
    RUN_TEST(test_bad_weight_length);
    RUN_TEST(test_post_out_of_range);
    RUN_TEST(test_stp_out_of_range);
    RUN_TEST(test_other_errors);
    RUN_TEST(test_error_printing_restored);
    RUN_TEST(test_write_f32);
    clear_dir();
    rmdir(g_dir);
    H5close();
    return TEST_REPORT();
}
