#include "am_view_app.h"

#include <SDL.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "am_view_draw.h"
#include "am_view_png.h"

am_view_opts am_view_opts_default(void) {
    am_view_opts o;
    memset(&o, 0, sizeof o);
    o.speed = 1.0;
    o.slow_events = 0.05;
    o.fps = 30;
    o.width = 1280;
    o.height = 720;
    return o;
}

const char *am_view_mode_name(am_agent_mode m) {
    return m == AM_MODE_RUN ? "running" : m == AM_MODE_REST ? "awake rest" : "sleep";
}

typedef struct viewer {
    const am_view_source *src;
    const am_view_opts *o;
    double speed, budget;
    int paused, help, quit, step_once;
    am_view_action action;
    char message[128];
    long frame;
    double fps;
} viewer;

static am_status handle_key(viewer *v, int key, am_error *err) {
    const am_view_source *s = v->src;
    am_status st = AM_OK;
    switch (key) {
    case ' ':
        v->paused = !v->paused;
        snprintf(v->message, sizeof v->message, "%s", v->paused ? "paused" : "resumed");
        break;
    case '.':
        v->paused = 1;
        v->step_once = 1;
        break;
    case '+':
    case '=':
        v->speed = fmin(10.0, v->speed * 2);
        snprintf(v->message, sizeof v->message, "speed %.2gx", v->speed);
        break;
    case '-':
        v->speed = fmax(0.1, v->speed / 2);
        snprintf(v->message, sizeof v->message, "speed %.2gx", v->speed);
        break;
    case 'r':
    case 'e':
    case 's': {
        am_agent_mode m = key == 'r' ? AM_MODE_RUN : key == 'e' ? AM_MODE_REST : AM_MODE_SLEEP;
        if (!s->set_mode) {
            snprintf(v->message, sizeof v->message, "playback: the mode cannot be changed");
            break;
        }
        st = s->set_mode(s->user, m, err);
        if (!st) snprintf(v->message, sizeof v->message, "switched to %s", am_view_mode_name(m));
        break;
    }
    case 'h':
    case '?':
        v->help = !v->help;
        break;
    case 'q':
    case 27:
        v->quit = 1;
        break;
    case 'd':
        if (!s->toggle_disrupt)
            snprintf(v->message, sizeof v->message, "playback: nothing to disrupt");
        else
            s->toggle_disrupt(s->user, v->message, sizeof v->message);
        break;
    case 'x':
    case 'n':
        if (!s->set_mode) {
            snprintf(v->message, sizeof v->message,
                     "playback: reset and next experiment are live only");
            break;
        }
        v->quit = 1;
        v->action = key == 'x' ? AM_VIEW_RESET : AM_VIEW_NEXT;
        break;
    default:
        if (key >= '1' && key <= '9') {
            if (!s->toggle_reward)
                snprintf(v->message, sizeof v->message, "playback: rewards cannot be changed");
            else
                st = s->toggle_reward(s->user, key - '1', v->message, sizeof v->message, err);
        }
        break;
    }
    return st;
}

/* Scripted keys: "FRAME:KEY,..." -> the key for frame f, or 0; *bad = 1 on a malformed string. */
static int scripted_key(const char *keys, long frame, int *bad) {
    const char *p = keys;
    while (p && *p) {
        char *end;
        long f = strtol(p, &end, 10);
        if (end == p || *end != ':') {
            *bad = 1;
            return 0;
        }
        p = end + 1;
        int key;
        if (!strncmp(p, "esc", 3)) {
            key = 27;
            p += 3;
        } else if (*p && *p != ',') {
            key = (unsigned char)*p++;
        } else {
            *bad = 1;
            return 0;
        }
        if (*p && *p != ',') {
            *bad = 1;
            return 0;
        }
        if (*p == ',') p++;
        if (f == frame) return key;
    }
    return 0;
}

/* Advances the source by one frame of display time. */
static am_status advance_frame(viewer *v, am_error *err) {
    const am_view_source *s = v->src;
    if (s->done(s->user)) return AM_OK;
    if (v->paused && !v->step_once) return AM_OK;
    /* display time owed to the source; the overshoot of one frame is paid by the next */
    v->budget += 1.0 / v->o->fps;
    if (v->step_once && v->budget <= 0) v->budget = s->dt / v->speed;
    v->step_once = 0;
    while (v->budget > 0 && !s->done(s->user)) {
        double slow = am_view_data_slow(s->data) ? v->o->slow_events : 1.0;
        am_status st = s->step(s->user, err);
        if (st) return st;
        v->budget -= s->dt / (v->speed * slow);
    }
    if (s->done(s->user)) snprintf(v->message, sizeof v->message, "the end of the protocol");
    return AM_OK;
}

static void render(viewer *v, am_view_draw *draw) {
    const am_view_source *src = v->src;
    const am_view_data *d = src->data;
    const am_agent_state *rat = src->rat(src->user);
    am_view_status s;
    memset(&s, 0, sizeof s);
    s.t = src->time(src->user);
    s.epoch = src->epoch(src->user);
    s.mode = rat ? am_view_mode_name(rat->mode) : "?";
    s.speed = v->speed;
    s.slowed = am_view_data_slow(d) && v->o->slow_events < 1;
    s.slow = v->o->slow_events;
    s.fps = v->fps;
    s.paused = v->paused;
    s.help = v->help;
    s.source = src->name;
    s.message = v->message[0] ? v->message : NULL;
    s.reward = src->reward;
    s.n_sites = src->n_sites;
    am_view_draw_frame(draw, d, &s);
}

static int on_path(const char *prog) {
    const char *path = getenv("PATH");
    if (!path) return 0;
    char buf[4096];
    while (*path) {
        const char *c = strchr(path, ':');
        size_t n = c ? (size_t)(c - path) : strlen(path);
        if (n > 0 && n + strlen(prog) + 2 < sizeof buf) {
            memcpy(buf, path, n);
            buf[n] = '/';
            strcpy(buf + n + 1, prog);
            if (access(buf, X_OK) == 0) return 1;
        }
        path += n;
        if (*path == ':') path++;
    }
    return 0;
}

/* frames.mp4 from the PNG frames with ffmpeg when it is on PATH (silently skipped otherwise). */
static void make_mp4(const char *dir, double fps, FILE *log) {
    if (!on_path("ffmpeg")) return;
    char in[4200], out[4200], rate[32];
    snprintf(in, sizeof in, "%s/frame_%%06d.png", dir);
    snprintf(out, sizeof out, "%s/frames.mp4", dir);
    snprintf(rate, sizeof rate, "%g", fps);
    pid_t pid = fork();
    if (pid == 0) {
        execlp("ffmpeg", "ffmpeg", "-y", "-loglevel", "error", "-framerate", rate, "-i", in,
               "-pix_fmt", "yuv420p", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", out, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
        WEXITSTATUS(status) == 0) {
        if (log) fprintf(log, "ammon view: wrote %s\n", out);
    } else if (log) {
        fprintf(log, "ammon view: ffmpeg failed; the PNG frames are in %s\n", dir);
    }
}

static void dump_state(viewer *v, const am_view_map *m) {
    static const char *const short_mode[] = {"run", "rest", "sleep"};
    const am_view_source *src = v->src;
    const am_view_data *d = src->data;
    const am_agent_state *a = src->rat(src->user);
    am_vec2 pos = a ? a->pos : (am_vec2){NAN, NAN};
    int px = -1, py = -1;
    if (!isnan(pos.x)) am_view_map_point(m, pos, &px, &py);
    printf("rat t=%.6f mode=%s x=%.6f y=%.6f px=%d py=%d rgb=%d,%d,%d radius=%d\n",
           src->time(src->user), a ? short_mode[a->mode] : "none", pos.x, pos.y, px, py,
           AM_VIEW_RAT_R, AM_VIEW_RAT_G, AM_VIEW_RAT_B, AM_VIEW_RAT_RADIUS);
    int dx = -1, dy = -1;
    if (d->decoded_visible) am_view_map_point(m, d->decoded, &dx, &dy);
    printf("decoded visible=%d x=%.6f y=%.6f px=%d py=%d rgb=%d,%d,%d radius=%d bursts=%d "
           "windows=%ld trained_s=%.3f\n",
           d->decoded_visible, d->decoded_visible ? d->decoded.x : NAN,
           d->decoded_visible ? d->decoded.y : NAN, dx, dy, AM_VIEW_DEC_R, AM_VIEW_DEC_G,
           AM_VIEW_DEC_B, AM_VIEW_DEC_RADIUS, d->burst_count, d->n_decoded,
           am_view_decode_trained_s(d->dec));
    printf("frames=%ld\n", v->frame);
    fflush(stdout);
}

static am_status save_png(SDL_Renderer *r, SDL_Surface *surf, int w, int h, const char *path,
                          am_error *err) {
    if (surf) {
        SDL_LockSurface(surf);
        am_status st = am_view_png_write(path, surf->pixels, w, h, surf->pitch, err);
        SDL_UnlockSurface(surf);
        return st;
    }
    uint32_t *px = malloc((size_t)w * (size_t)h * 4);
    if (!px) return am_error_set(err, AM_ENOMEM, "out of memory for a screenshot");
    am_status st;
    if (SDL_RenderReadPixels(r, NULL, SDL_PIXELFORMAT_ARGB8888, px, w * 4) != 0)
        st = am_error_set(err, AM_EIO, "cannot read the window's pixels: %s", SDL_GetError());
    else
        st = am_view_png_write(path, px, w, h, w * 4, err);
    free(px);
    return st;
}

static int map_sdl_key(const SDL_Event *e) {
    SDL_Keycode k = e->key.keysym.sym;
    int shift = (e->key.keysym.mod & KMOD_SHIFT) != 0;
    switch (k) {
    case SDLK_SPACE:
        return ' ';
    case SDLK_PERIOD:
        return '.';
    case SDLK_PLUS:
    case SDLK_KP_PLUS:
        return '+';
    case SDLK_EQUALS:
        return shift ? '+' : '=';
    case SDLK_MINUS:
    case SDLK_KP_MINUS:
        return '-';
    case SDLK_SLASH:
        return shift ? '?' : 0;
    case SDLK_QUESTION:
        return '?';
    case SDLK_ESCAPE:
        return 27;
    default:
        if ((k >= SDLK_a && k <= SDLK_z) || (k >= SDLK_1 && k <= SDLK_9)) return (int)k;
        return 0;
    }
}

am_status am_view_run(const am_view_source *src, const am_view_opts *o, am_view_action *action,
                      long *shown, am_error *err) {
    *action = AM_VIEW_QUIT;
    *shown = 0;
    viewer v;
    memset(&v, 0, sizeof v);
    v.src = src;
    v.o = o;
    v.speed = fmin(10.0, fmax(0.1, o->speed));
    am_status st = AM_OK;
    SDL_Window *win = NULL;
    SDL_Renderer *ren = NULL;
    SDL_Surface *surf = NULL;
    am_view_draw *draw = NULL;
    int sdl_video = 0;

    if (o->headless && o->frames <= 0)
        return am_error_set(err, AM_EINVAL, "--headless needs --frames N (N > 0)");
    if (o->keys) {
        int bad = 0;
        scripted_key(o->keys, -1, &bad);
        if (bad)
            return am_error_set(err, AM_EINVAL,
                                "--keys '%s': expected FRAME:KEY pairs separated by commas, "
                                "e.g. 10:s,200:r",
                                o->keys);
    }
    if (o->frames_dir && mkdir(o->frames_dir, 0777) != 0 && errno != EEXIST)
        return am_error_set(err, AM_EIO, "cannot create '%s': %s", o->frames_dir, strerror(errno));

    if (o->headless) {
        /* No window: the software renderer draws into a surface. */
        SDL_setenv("SDL_VIDEODRIVER", "offscreen", 1);
        surf = SDL_CreateRGBSurfaceWithFormat(0, o->width, o->height, 32, SDL_PIXELFORMAT_ARGB8888);
        ren = surf ? SDL_CreateSoftwareRenderer(surf) : NULL;
        if (!ren) {
            st = am_error_set(err, AM_EIO, "SDL software renderer: %s", SDL_GetError());
            goto done;
        }
    } else {
        if (SDL_Init(SDL_INIT_VIDEO) != 0) {
            st = am_error_set(err, AM_EIO,
                              "SDL cannot open a display (%s); without one, use --headless",
                              SDL_GetError());
            goto done;
        }
        sdl_video = 1;
        const char *drv = SDL_GetCurrentVideoDriver();
        if (!getenv("SDL_VIDEODRIVER") && drv &&
            (!strcmp(drv, "offscreen") || !strcmp(drv, "dummy"))) {
            st = am_error_set(err, AM_EIO,
                              "no display found (SDL fell back to its '%s' video driver); set "
                              "DISPLAY, or use --headless --frames N",
                              drv);
            goto done;
        }
        win = SDL_CreateWindow("ammon view", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                               o->width, o->height, 0);
        ren = win ? SDL_CreateRenderer(win, -1, SDL_RENDERER_ACCELERATED) : NULL;
        if (win && !ren) ren = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE);
        if (!ren) {
            st = am_error_set(err, AM_EIO, "SDL window: %s", SDL_GetError());
            goto done;
        }
    }
    draw = am_view_draw_alloc(ren, o->width, o->height, src->maze, o->font, err);
    if (!draw) {
        st = err ? err->code : AM_EIO;
        goto done;
    }

    const Uint64 freq = SDL_GetPerformanceFrequency();
    const Uint64 t_start = SDL_GetPerformanceCounter();
    Uint64 t_prev = t_start;
    int wrote = 0;
    for (v.frame = 0; !v.quit && (o->frames <= 0 || o->frame0 + v.frame < o->frames); v.frame++) {
        if (o->keys) {
            int bad = 0, key = scripted_key(o->keys, o->frame0 + v.frame, &bad);
            if (key && (st = handle_key(&v, key, err))) goto done;
        }
        if (!o->headless) {
            SDL_Event e;
            while (SDL_PollEvent(&e)) {
                if (e.type == SDL_QUIT) v.quit = 1;
                if (e.type == SDL_KEYDOWN) {
                    int key = map_sdl_key(&e);
                    if (key && (st = handle_key(&v, key, err))) goto done;
                }
            }
        }
        if (v.quit) break;
        if ((st = advance_frame(&v, err))) goto done;
        render(&v, draw);
        if (o->frames_dir) {
            char path[4200];
            snprintf(path, sizeof path, "%s/frame_%06ld.png", o->frames_dir, o->frame0 + v.frame);
            if ((st = save_png(ren, surf, o->width, o->height, path, err))) goto done;
        }
        /* a replay frame: a decoded sweep of at least 3 windows, or the whole of a shorter one */
        const am_view_data *d = src->data;
        int replay_shown =
            o->stop_on_replay && d->decoded_visible && (d->sweep_n >= 3 || !d->burst);
        int last = replay_shown || (o->frames > 0 && o->frame0 + v.frame + 1 == o->frames);
        if (last && o->screenshot) {
            if ((st = save_png(ren, surf, o->width, o->height, o->screenshot, err))) goto done;
            wrote = 1;
        }
        if (!o->headless) SDL_RenderPresent(ren);
        Uint64 now = SDL_GetPerformanceCounter();
        double frame_s = (double)(now - t_prev) / (double)freq;
        if (!o->headless && frame_s < 1.0 / o->fps) {
            SDL_Delay((Uint32)((1.0 / o->fps - frame_s) * 1000));
            now = SDL_GetPerformanceCounter();
            frame_s = (double)(now - t_prev) / (double)freq;
        }
        t_prev = now;
        if (frame_s > 0) v.fps = v.fps > 0 ? 0.9 * v.fps + 0.1 / frame_s : 1.0 / frame_s;
        if (replay_shown) {
            v.frame++;
            break;
        }
    }
    double wall = (double)(SDL_GetPerformanceCounter() - t_start) / (double)freq;
    if (o->dump_state) dump_state(&v, am_view_draw_map(draw));
    if (o->log)
        fprintf(o->log, "ammon view: %ld frames in %.2f s wall (%.1f fps), simulated %.3f s\n",
                v.frame, wall, wall > 0 ? v.frame / wall : 0.0, src->time(src->user));
    *action = v.action;
    /* the frame where x or n was pressed is used up (not drawn), so that a scripted key is not
     * pressed again at the same frame number by the next run */
    *shown = v.frame + (v.action != AM_VIEW_QUIT);
    if (o->frames_dir && v.action == AM_VIEW_QUIT) make_mp4(o->frames_dir, o->fps, o->log);
    if (wrote && o->log) fprintf(o->log, "ammon view: wrote %s\n", o->screenshot);
done:
    am_view_draw_free(draw);
    if (ren) SDL_DestroyRenderer(ren);
    if (win) SDL_DestroyWindow(win);
    if (surf) SDL_FreeSurface(surf);
    if (sdl_video) SDL_Quit();
    return st;
}
