#include "am_view_png.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

am_status am_view_png_write(const char *path, const uint32_t *pixels, int w, int h, int pitch,
                            am_error *err) {
    if (w <= 0 || h <= 0 || !pixels)
        return am_error_set(err, AM_EINVAL, "PNG %s: empty image (%d x %d)", path, w, h);
    FILE *f = fopen(path, "wb");
    if (!f) return am_error_set(err, AM_EIO, "cannot write '%s': %s", path, strerror(errno));
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    unsigned char *row = malloc((size_t)w * 3);
    if (!png || !info || !row) {
        png_destroy_write_struct(&png, &info);
        free(row);
        fclose(f);
        remove(path);
        return am_error_set(err, AM_ENOMEM, "out of memory writing '%s'", path);
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(row);
        fclose(f);
        remove(path);
        return am_error_set(err, AM_EIO, "libpng failed writing '%s'", path);
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 3);
    png_write_info(png, info);
    for (int y = 0; y < h; y++) {
        const uint32_t *src = (const uint32_t *)((const unsigned char *)pixels + (size_t)y * pitch);
        for (int x = 0; x < w; x++) {
            row[3 * x] = (unsigned char)(src[x] >> 16);
            row[3 * x + 1] = (unsigned char)(src[x] >> 8);
            row[3 * x + 2] = (unsigned char)src[x];
        }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    if (fclose(f) != 0) {
        remove(path);
        return am_error_set(err, AM_EIO, "cannot write '%s': %s", path, strerror(errno));
    }
    return AM_OK;
}
