/* am_view_png: writes an image to a PNG file (libpng), for screenshots and frames. */
#ifndef AM_VIEW_PNG_H
#define AM_VIEW_PNG_H

#include <stdint.h>
#include "am_error.h"

/* Writes w x h pixels, each a 32-bit value 0xAARRGGBB (SDL_PIXELFORMAT_ARGB8888), rows `pitch`
 * bytes apart, as an 8-bit RGB PNG at path (alpha dropped). AM_EIO with the reason on failure;
 * no partial file is left behind. */
am_status am_view_png_write(const char *path, const uint32_t *pixels, int w, int h, int pitch,
                            am_error *err);

#endif
