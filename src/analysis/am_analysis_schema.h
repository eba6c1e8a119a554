/* am_analysis_schema: every parameter of `ammon analyze` ([analysis] section), with its default,
 * unit, range, doc and source (data/reference/analysis_params.csv lists the same with citations).
 */
#ifndef AM_ANALYSIS_SCHEMA_H
#define AM_ANALYSIS_SCHEMA_H

#include <stddef.h>
#include "am_config.h"

const am_key_spec *am_analysis_schema(size_t *n);
am_config *am_analysis_config_alloc(am_error *err);

#endif
