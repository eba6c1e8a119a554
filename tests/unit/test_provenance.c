/* am_provenance: the /provenance group of every output file. */
#include <stdlib.h>
#include <unistd.h>

#include <hdf5.h>

#include "am_provenance.h"
#include "am_test.h"

static void read_str(hid_t f, const char *path, char *out, size_t cap) {
    out[0] = '\0';
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    if (d < 0) return;
    hid_t t = H5Dget_type(d);
    char *s = NULL;
    if (H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &s) >= 0 && s) {
        snprintf(out, cap, "%s", s);
        H5free_memory(s);
    }
    H5Tclose(t);
    H5Dclose(d);
}

static void writes_every_field(void) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/am_prov_%d.h5", (int)getpid());
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
    am_error err = {0};
    am_session *s = am_session_create(path, &err);
    CHECK(s != NULL);
    if (!s) return;
    CHECK(am_provenance_write(s, "ammon run x.ini", 42, &err) == AM_OK);
    CHECK(am_session_commit(s, &err) == AM_OK);
    unsetenv("SOURCE_DATE_EPOCH");
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0);
    if (f < 0) return;
    char buf[512];
    read_str(f, "/provenance/program", buf, sizeof buf);
    CHECK(!strcmp(buf, "ammon"));
    read_str(f, "/provenance/utc_time", buf, sizeof buf);
    CHECK(!strcmp(buf, "2023-11-14T22:13:20Z")); /* SOURCE_DATE_EPOCH pins it */
    read_str(f, "/provenance/command_line", buf, sizeof buf);
    CHECK(!strcmp(buf, "ammon run x.ini"));
    read_str(f, "/provenance/libraries", buf, sizeof buf);
    CHECK_STR_CONTAINS(buf, "HDF5 1.");
    CHECK_STR_CONTAINS(buf, "GSL");
    CHECK_STR_CONTAINS(buf, "Random123");
    read_str(f, "/provenance/git_commit", buf, sizeof buf);
    CHECK(buf[0] != '\0');
    int64_t seed = 0;
    hid_t d = H5Dopen2(f, "/provenance/seed", H5P_DEFAULT);
    CHECK(d >= 0 && H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &seed) >= 0);
    CHECK(seed == 42);
    H5Dclose(d);
    H5Fclose(f);
    remove(path);
}

int main(void) {
    RUN_TEST(writes_every_field);
    int rc = TEST_REPORT();
    H5close();
    return rc;
}
