/* am_view_live: `ammon view CONFIG`: steps the simulation (the same am_sim as `ammon run`, no
 * session recorded) and shows it with the frame loop of am_view_app. Keys r/e/s switch the mode
 * (am_sim_set_mode); 1-9 turn the reward at a site off and back on to reward.magnitude
 * (am_sim_set_reward). */
#ifndef AM_VIEW_LIVE_H
#define AM_VIEW_LIVE_H

#include "am_config.h"
#include "am_error.h"
#include "am_sim.h"
#include "am_view_app.h"

/* sim must have been built from cfg and not be recording. Errors: those of am_view_run and of the
 * simulation's steps. */
am_status am_view_live(am_sim *sim, const am_config *cfg, const am_view_opts *o,
                       am_view_action *action, long *shown, am_error *err);

#endif
