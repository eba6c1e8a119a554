/* am_sweep: the output folder (manifest, lock, resume), one run in this process, progress, and
 * the local pool of worker processes. See am_sweep.h. */
#include "am_sweep_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/prctl.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

#include "am_analyze.h"
#include "am_progress.h"
#include "am_session.h"
#include "am_sim.h"
#include "am_text.h"

/* ---- small helpers ------------------------------------------------------------------------- */

static int file_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* mkdir -p. */
static am_status make_dirs(const char *path, am_error *err) {
    size_t n = strlen(path);
    char *p = malloc(n + 1);
    if (!p) return am_error_set(err, AM_ENOMEM, "out of memory");
    memcpy(p, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (i < n && p[i] != '/') continue;
        char c = p[i];
        p[i] = '\0';
        struct stat sb;
        if (stat(p, &sb) != 0) {
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                am_status st =
                    am_error_set(err, AM_EIO, "cannot create folder '%s': %s", p, strerror(errno));
                free(p);
                return st;
            }
        } else if (!S_ISDIR(sb.st_mode)) {
            am_status st =
                am_error_set(err, AM_EIO, "'%s' exists and is not a folder; choose another out", p);
            free(p);
            return st;
        }
        p[i] = c;
    }
    free(p);
    return AM_OK;
}

static char *out_file(const am_sweep *s, const char *name) {
    size_t n = strlen(s->out) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", s->out, name);
    return p;
}

/* Tabs and line breaks in a value would break the manifest's lines and columns. */
static void tb_add_field(am_strbuf *b, const char *t) {
    char one[2] = {0, 0};
    for (const char *p = t; *p; p++) {
        one[0] = (*p == '\t' || *p == '\n' || *p == '\r') ? ' ' : *p;
        am_strbuf_append(b, one);
    }
}

/* The manifest text of this sweep. Caller frees; NULL when out of memory. */
static char *manifest_text(const am_sweep *s) {
    am_strbuf b = {0};
    am_strbuf_append(
        &b, "# ammon sweep manifest: one line per run (name, seed, swept values, hash of the "
            "resolved configs).\n# Written by ammon sweep; a sweep whose manifest differs "
            "will not run in this folder.\nname\tseed");
    for (int k = 0; k < s->n_params; k++) {
        am_strbuf_append(&b, "\t");
        tb_add_field(&b, s->params[k].key);
    }
    am_strbuf_append(&b, "\tconfig_hash\n");
    char num[64];
    for (int i = 0; i < s->n_runs; i++) {
        snprintf(num, sizeof num, "%s\t%ld", s->runs[i].name, s->runs[i].seed);
        am_strbuf_append(&b, num);
        for (int k = 0; k < s->n_params; k++) {
            am_strbuf_append(&b, "\t");
            tb_add_field(&b, am_sweep__value(s, i, k));
        }
        snprintf(num, sizeof num, "\t%016llx\n", (unsigned long long)s->runs[i].hash);
        am_strbuf_append(&b, num);
    }
    if (b.nomem) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    am_strbuf b = {0};
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk - 1, f)) > 0) {
        chunk[got] = '\0';
        am_strbuf_append(&b, chunk);
    }
    fclose(f);
    if (b.nomem) {
        free(b.s);
        return NULL;
    }
    return b.s ? b.s : calloc(1, 1);
}

/* Writes text to path through a temporary file renamed into place. */
static am_status write_atomic(const char *path, const char *text, am_error *err) {
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp) return am_error_set(err, AM_ENOMEM, "out of memory");
    snprintf(tmp, n, "%s.tmp-%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    am_status st = AM_OK;
    if (!f) {
        st = am_error_set(err, AM_EIO, "cannot write '%s': %s", tmp, strerror(errno));
    } else {
        size_t len = strlen(text);
        int bad = fwrite(text, 1, len, f) != len;
        bad |= fflush(f) != 0;
        bad |= fsync(fileno(f)) != 0;
        bad |= fclose(f) != 0;
        if (bad || rename(tmp, path) != 0) {
            st = am_error_set(err, AM_EIO, "cannot write '%s': %s", path, strerror(errno));
            unlink(tmp);
        }
    }
    free(tmp);
    return st;
}

/* ---- scanning and claiming the output folder ----------------------------------------------- */

am_status am_sweep_scan(am_sweep *s, am_error *err) {
    if (!s) return am_error_set(err, AM_EINVAL, "am_sweep_scan: NULL sweep");
    char *mpath = out_file(s, "manifest.tsv");
    char *mine = manifest_text(s);
    am_status st = AM_OK;
    if (!mpath || !mine) {
        st = am_error_set(err, AM_ENOMEM, "out of memory");
        goto done;
    }
    if (file_exists(mpath)) {
        char *old = slurp(mpath);
        if (!old) {
            st = am_error_set(err, AM_EIO, "cannot read '%s': %s", mpath, strerror(errno));
            goto done;
        }
        if (strcmp(old, mine) != 0) {
            /* name the first run that differs */
            const char *a = old, *b = mine;
            int line = 1;
            while (*a && *a == *b) {
                if (*a == '\n') line++;
                a++;
                b++;
            }
            st = am_error_set(err, AM_ECONFIG,
                              "output folder '%s' holds another sweep: its manifest.tsv differs "
                              "from this sweep's at line %d (runs, seeds, values or the configs "
                              "changed); use another out folder (-o), or delete '%s' to start "
                              "over",
                              s->out, line, s->out);
            free(old);
            goto done;
        }
        free(old);
    } else {
        struct stat sb;
        if (stat(s->runs_dir, &sb) == 0) {
            st = am_error_set(err, AM_ECONFIG,
                              "output folder '%s' has runs/ but no manifest.tsv: not a sweep "
                              "folder, or its manifest was deleted; use another out folder (-o)",
                              s->out);
            goto done;
        }
    }
    for (int i = 0; i < s->n_runs; i++) {
        sweep_run *r = &s->runs[i];
        r->state = file_exists(r->analysis)  ? AM_SWEEP_DONE
                   : file_exists(r->session) ? AM_SWEEP_ANALYZE
                                             : AM_SWEEP_TODO;
    }
done:
    free(mpath);
    free(mine);
    return st;
}

/* Removes the files "<name>.tmp-<digits>" in dir left by a killed sweep: any name in OUT/runs
 * (only) == NULL, else those of the sweep's own files in OUT. */
static void remove_temporaries(const char *dir, const char *const *only) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *t = strstr(e->d_name, ".tmp-");
        if (!t) continue;
        int ours = only == NULL;
        for (int k = 0; only && only[k]; k++)
            ours |= strlen(only[k]) == (size_t)(t - e->d_name) &&
                    !strncmp(e->d_name, only[k], (size_t)(t - e->d_name));
        if (!ours) continue;
        const char *q = t + 5;
        if (!*q) continue;
        while (*q >= '0' && *q <= '9')
            q++;
        if (*q) continue;
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        char *p = malloc(n);
        if (!p) break;
        snprintf(p, n, "%s/%s", dir, e->d_name);
        unlink(p);
        free(p);
    }
    closedir(d);
}

am_status am_sweep_prepare(am_sweep *s, am_error *err) {
    if (!s) return am_error_set(err, AM_EINVAL, "am_sweep_prepare: NULL sweep");
    am_status st = make_dirs(s->out, err);
    if (st) return st;
    if (s->lock_fd < 0) {
        char *lp = out_file(s, ".lock");
        if (!lp) return am_error_set(err, AM_ENOMEM, "out of memory");
        int fd = open(lp, O_RDWR | O_CREAT, 0666);
        if (fd < 0) {
            st = am_error_set(err, AM_EIO, "cannot create '%s': %s", lp, strerror(errno));
            free(lp);
            return st;
        }
        struct flock fl;
        memset(&fl, 0, sizeof fl);
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        if (fcntl(fd, F_SETLK, &fl) != 0) {
            struct flock q = fl;
            long pid = fcntl(fd, F_GETLK, &q) == 0 && q.l_type != F_UNLCK ? (long)q.l_pid : -1;
            close(fd);
            if (pid > 0)
                st = am_error_set(err, AM_ESTATE,
                                  "another ammon sweep (pid %ld) is running in '%s'; wait for "
                                  "it, or stop it and run this again to resume",
                                  pid, s->out);
            else
                st = am_error_set(err, AM_ESTATE, "cannot lock '%s': %s", lp, strerror(errno));
            free(lp);
            return st;
        }
        free(lp);
        s->lock_fd = fd;
    }
    st = am_sweep_scan(s, err);
    if (st) return st;
    st = make_dirs(s->runs_dir, err);
    if (st) return st;
    char *mpath = out_file(s, "manifest.tsv");
    char *mine = manifest_text(s);
    if (!mpath || !mine) {
        free(mpath);
        free(mine);
        return am_error_set(err, AM_ENOMEM, "out of memory");
    }
    if (!file_exists(mpath)) st = write_atomic(mpath, mine, err);
    free(mpath);
    free(mine);
    if (st) return st;
    static const char *const own[] = {"summary.csv", "summary.h5", "manifest.tsv", NULL};
    remove_temporaries(s->runs_dir, NULL);
    remove_temporaries(s->out, own);
    int todo = 0;
    for (int i = 0; i < s->n_runs; i++)
        todo += s->runs[i].state != AM_SWEEP_DONE;
    if (todo) {
        char *csv = out_file(s, "summary.csv"), *h5 = out_file(s, "summary.h5");
        if (csv) unlink(csv);
        if (h5) unlink(h5);
        free(csv);
        free(h5);
    }
    for (int i = 0; i < s->n_runs; i++) {
        sweep_run *r = &s->runs[i];
        free(r->msg);
        r->msg = NULL;
        r->result = r->state == AM_SWEEP_DONE ? AM_OK : AM_EINTR;
        r->worker = -1;
        r->wall_s = NAN;
    }
    return AM_OK;
}

/* ---- one run ------------------------------------------------------------------------------- */

/* Appends one argument, single-quoted when it holds a space or a shell character. */
static void tb_arg(am_strbuf *b, const char *a) {
    am_strbuf_append(b, " ");
    int quote = a[0] == '\0' || strpbrk(a, " \t'\"\\$*?;&|<>()") != NULL;
    if (!quote) {
        am_strbuf_append(b, a);
        return;
    }
    am_strbuf_append(b, "'");
    char one[2] = {0, 0};
    for (const char *p = a; *p; p++) {
        if (*p == '\'') {
            am_strbuf_append(b, "'\\''");
        } else {
            one[0] = *p;
            am_strbuf_append(b, one);
        }
    }
    am_strbuf_append(b, "'");
}

static void tb_set(am_strbuf *b, const char *key, const char *value) {
    am_strbuf kv = {0};
    am_strbuf_append(&kv, key);
    am_strbuf_append(&kv, "=");
    am_strbuf_append(&kv, value);
    if (kv.nomem) {
        b->nomem = 1;
    } else {
        am_strbuf_append(b, " --set");
        tb_arg(b, kv.s);
    }
    free(kv.s);
}

/* The `ammon run` (analysis = 0) or `ammon analyze` (1) command equivalent to run i, for the
 * provenance of its files. Caller frees. */
static char *equivalent_command(const am_sweep *s, int i, int analysis, int threads) {
    am_strbuf b = {0};
    char num[32];
    if (!analysis) {
        am_strbuf_append(&b, "ammon run");
        tb_arg(&b, s->config);
    } else {
        am_strbuf_append(&b, "ammon analyze");
        tb_arg(&b, s->runs[i].session);
        if (s->params_file) {
            am_strbuf_append(&b, " --params");
            tb_arg(&b, s->params_file);
        }
    }
    for (int k = 0; k < s->n_sets; k++)
        if ((strncmp(s->sets[k].key, "analysis.", 9) == 0) == analysis)
            tb_set(&b, s->sets[k].key, s->sets[k].value);
    for (int k = 0; k < s->n_params; k++)
        if ((strncmp(s->params[k].key, "analysis.", 9) == 0) == analysis)
            tb_set(&b, s->params[k].key, am_sweep__value(s, i, k));
    if (!analysis) {
        snprintf(num, sizeof num, "%ld", s->runs[i].seed);
        am_strbuf_append(&b, " --seed ");
        am_strbuf_append(&b, num);
        if (s->init_from) {
            am_strbuf_append(&b, " --init-from");
            tb_arg(&b, s->init_from);
        }
        am_strbuf_append(&b, " -o");
        tb_arg(&b, s->runs[i].session);
    } else {
        am_strbuf_append(&b, " -o");
        tb_arg(&b, s->runs[i].analysis);
        snprintf(num, sizeof num, " --threads %d", threads);
        am_strbuf_append(&b, num);
    }
    if (b.nomem) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* The modules name a config value's origin in their messages ("--set: key run.max_duration_s:
 * ..."); values from the sweep file are applied as --set, so name their line there instead. */
static void fix_origin(const am_sweep *s, int i, am_error *err) {
    if (!err || strncmp(err->msg, "--set: key ", 11) != 0) return;
    const char *key = err->msg + 11, *colon = strchr(key, ':');
    if (!colon) return;
    size_t kl = (size_t)(colon - key);
    int line = -1;
    for (int k = 0; k < s->n_sets; k++)
        if (strlen(s->sets[k].key) == kl && !strncmp(s->sets[k].key, key, kl))
            line = s->sets[k].line;
    for (int k = 0; k < s->n_params; k++)
        if (strlen(s->params[k].key) == kl && !strncmp(s->params[k].key, key, kl))
            line = am_sweep__value_line(s, i, k);
    if (kl == 8 && !strncmp(key, "run.seed", 8)) line = s->seeds_line;
    if (kl == 17 && !strncmp(key, "network.init_from", 17)) line = s->init_line;
    if (line < 0) return;
    char rest[AM_ERROR_MSG_MAX];
    snprintf(rest, sizeof rest, "%s", err->msg + 5); /* ": key ..." */
    if (line > 0)
        am_error_set(err, err->code, "%s:%d%s", s->path, line, rest);
    else
        am_error_set(err, err->code, "--init-from%s", rest);
}

am_status am_sweep_run_exec(const am_sweep *s, int i, const am_sweep_exec_opts *o, am_error *err) {
    if (!s || i < 0 || i >= s->n_runs)
        return am_error_set(err, AM_EINVAL, "am_sweep_run_exec: no run %d", i);
    int threads = o && o->threads > 0 ? o->threads : 1;
    int (*should_stop)(void) = o ? o->should_stop : NULL;
    const sweep_run *r = &s->runs[i];
    am_config *cfg = NULL, *acfg = NULL;
    am_sim *sim = NULL;
    am_session *sess = NULL;
    char *cmd = NULL;
    am_status st = am_sweep_run_configs(s, i, &cfg, &acfg, err);
    if (st) goto done;
    {
        uint64_t h = am_sweep__hash(cfg, acfg);
        if (h != r->hash) {
            st = am_error_set(err, AM_ECONFIG,
                              "its config differs from the one checked when the sweep started "
                              "(was '%s' or the analysis parameters edited meanwhile?); run the "
                              "sweep again",
                              s->config);
            goto done;
        }
    }
#ifdef _OPENMP
    omp_set_num_threads(threads);
#endif
    if (!file_exists(r->session)) {
        cmd = equivalent_command(s, i, 0, threads);
        if (!cmd) {
            st = am_error_set(err, AM_ENOMEM, "out of memory");
            goto done;
        }
        sim = am_sim_alloc(cfg, err);
        if (!sim) {
            st = err ? err->code : AM_ENOMEM;
            goto done;
        }
        sess = am_session_create(r->session, err);
        if (!sess) {
            st = err ? err->code : AM_EIO;
            goto done;
        }
        st = am_sim_record(sim, sess, cmd, err);
        st = st ? st : am_sim_run(sim, should_stop, NULL, NULL, err);
        st = st ? st : am_sim_finish(sim, err);
        if (st) goto done;
        st = am_session_commit(sess, err);
        sess = NULL;
        if (st) goto done;
        free(cmd);
        cmd = NULL;
    }
    if (should_stop && should_stop()) {
        st = am_error_set(err, AM_EINTR, "interrupted before the analysis");
        goto done;
    }
    cmd = equivalent_command(s, i, 1, threads);
    if (!cmd) {
        st = am_error_set(err, AM_ENOMEM, "out of memory");
        goto done;
    }
    {
        am_analyze_opts ao = {r->session, r->analysis, cmd, threads, NULL};
        am_analyze_summary sum;
        st = am_analyze(acfg, &ao, &sum, err);
        if (st) am_error_prefix(err, "analysis: ");
    }
done:
    if (st) fix_origin(s, i, err);
    am_session_abort(sess);
    am_sim_free(sim);
    am_config_free(cfg);
    am_config_free(acfg);
    free(cmd);
    return st;
}

void am_sweep__exec_to_msg(const am_sweep *s, int i, const am_sweep_exec_opts *o,
                           sweep_result_msg *m) {
    memset(m, 0, sizeof *m);
    m->run = i;
    am_error e = {0};
    double t0 = am_wall_seconds();
    m->code = (int32_t)am_sweep_run_exec(s, i, o, &e);
    m->wall_s = am_wall_seconds() - t0;
    if (m->code) snprintf(m->msg, sizeof m->msg, "%s", e.msg);
}

/* ---- tracking results and progress --------------------------------------------------------- */

am_status am_sweep__tracker_init(sweep_tracker *t, am_sweep *s, const am_sweep_exec_opts *o,
                                 am_error *err) {
    memset(t, 0, sizeof *t);
    t->s = s;
    t->o = o;
    t->todo = malloc(sizeof *t->todo * (size_t)(s->n_runs + 1));
    if (!t->todo) return am_error_set(err, AM_ENOMEM, "out of memory");
    for (int i = 0; i < s->n_runs; i++) {
        if (s->runs[i].state == AM_SWEEP_DONE) {
            t->n_reused++;
            s->runs[i].result = AM_OK;
        } else {
            t->todo[t->n_todo++] = i;
            s->runs[i].result = AM_EINTR; /* until it has run */
        }
    }
    t->t0 = am_wall_seconds();
    t->last_print = t->t0;
    t->tty = o->progress ? isatty(fileno(o->progress)) : 0;
    return AM_OK;
}

void am_sweep__tracker_free(sweep_tracker *t) {
    free(t->todo);
    t->todo = NULL;
}

static void fmt_time(double s, char *buf, size_t n) {
    long v = lround(s);
    if (v >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", v / 3600, v / 60 % 60, v % 60);
    else
        snprintf(buf, n, "%ld:%02ld", v / 60, v % 60);
}

static void end_line(sweep_tracker *t) {
    if (t->line_open && t->o->progress) {
        fputc('\n', t->o->progress);
        t->line_open = 0;
    }
}

void am_sweep__tracker_progress(sweep_tracker *t, int force) {
    FILE *f = t->o->progress;
    if (!f) return;
    double now = am_wall_seconds();
    if (!force && now - t->last_print < (t->tty ? 0.25 : 5.0)) return;
    t->last_print = now;
    int done = t->n_reused + t->n_executed;
    double el = now - t->t0;
    char e[32], l[64] = "";
    fmt_time(el, e, sizeof e);
    int left = t->n_todo - t->n_executed - t->n_failed;
    if (t->n_executed + t->n_failed > 0 && left > 0) {
        char tl[32];
        fmt_time(el / (t->n_executed + t->n_failed) * left, tl, sizeof tl);
        snprintf(l, sizeof l, ", about %s left", tl);
    }
    fprintf(f, "%sammon sweep: %d/%d runs complete (%d reused), %d failed, %s elapsed%s%s",
            t->tty ? "\r" : "", done, t->s->n_runs, t->n_reused, t->n_failed, e, l,
            t->tty ? "\033[K" : "\n");
    if (t->tty) t->line_open = 1;
    fflush(f);
}

int am_sweep__tracker_check_stop(sweep_tracker *t) {
    if (!t->stopping && t->o->should_stop && t->o->should_stop()) t->stopping = 1;
    return t->stopping;
}

void am_sweep__tracker_record(sweep_tracker *t, int i, am_status code, const char *msg,
                              double wall_s, int worker) {
    sweep_run *r = &t->s->runs[i];
    r->result = code;
    r->worker = worker;
    r->wall_s = wall_s;
    free(r->msg);
    r->msg = NULL;
    if (code == AM_EINTR) {
        /* interrupted: the run left nothing; stop handing out runs */
        t->stopping = 1;
        return;
    }
    if (code == AM_OK) {
        t->n_executed++;
    } else {
        t->n_failed++;
        size_t n = strlen(msg ? msg : "") + 1;
        r->msg = malloc(n);
        if (r->msg) memcpy(r->msg, msg ? msg : "", n);
        if (t->o->errors) {
            char d[512];
            am_sweep__describe(t->s, i, d, sizeof d);
            if (t->o->errors == t->o->progress) end_line(t);
            fprintf(t->o->errors, "ammon sweep: %s failed: %s\n", d, msg ? msg : "");
            fflush(t->o->errors);
        }
    }
    am_sweep__tracker_progress(t, 0);
}

void am_sweep__tracker_finish(sweep_tracker *t, am_sweep_outcome *out) {
    if (t->o->progress && (t->n_executed + t->n_failed > 0 || t->line_open)) {
        am_sweep__tracker_progress(t, 1);
        end_line(t);
    }
    out->n_runs = t->s->n_runs;
    out->n_reused = t->n_reused;
    out->n_executed = t->n_executed;
    out->n_failed = t->n_failed;
    out->n_left = t->n_todo - t->n_executed - t->n_failed;
    out->interrupted = t->stopping;
    out->wall_s = am_wall_seconds() - t->t0;
}

/* ---- the local pool ------------------------------------------------------------------------ */

typedef struct worker {
    pid_t pid;
    int fd;  /* parent's end of the socket, -1 when closed */
    int run; /* run being executed, -1 when idle */
} worker;

static int write_full(int fd, const void *buf, size_t n) {
    const char *p = buf;
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return 0;
        p += w;
        n -= (size_t)w;
    }
    return 1;
}

/* 1 when n bytes were read, 0 at end of file, -1 on error. */
static int read_full(int fd, void *buf, size_t n) {
    char *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t r = recv(fd, p + got, n - got, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r == 0) return got == 0 ? 0 : -1;
        if (r < 0) return -1;
        got += (size_t)r;
    }
    return 1;
}

/* The worker process: runs what it is sent until told to stop (-1) or the parent goes away. */
static void worker_main(const am_sweep *s, const am_sweep_exec_opts *o, int fd) {
    for (;;) {
        int32_t run;
        if (read_full(fd, &run, sizeof run) != 1 || run < 0 || run >= s->n_runs) break;
        sweep_result_msg m;
        am_sweep__exec_to_msg(s, run, o, &m);
        if (!write_full(fd, &m, sizeof m)) break;
    }
}

static int spawn(am_sweep *s, const am_sweep_exec_opts *o, worker *w, int nw, int slot) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 0;
    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(sv[0]);
        close(sv[1]);
        return 0;
    }
    if (pid == 0) {
#ifdef __linux__
        /* a worker whose sweep was killed stops its run (no file left) instead of running on */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
        if (getppid() != parent) _exit(0);
        close(sv[0]);
        for (int k = 0; k < nw; k++)
            if (w[k].fd >= 0) close(w[k].fd);
        if (s->lock_fd >= 0) close(s->lock_fd);
        worker_main(s, o, sv[1]);
        close(sv[1]);
        _exit(0);
    }
    close(sv[1]);
    w[slot].pid = pid;
    w[slot].fd = sv[0];
    w[slot].run = -1;
    return 1;
}

static void describe_death(int status, char *buf, size_t n) {
    if (WIFSIGNALED(status))
        snprintf(buf, n, "its worker process died (signal %d, %s) while running it",
                 WTERMSIG(status), strsignal(WTERMSIG(status)));
    else if (WIFEXITED(status))
        snprintf(buf, n, "its worker process exited (status %d) while running it",
                 WEXITSTATUS(status));
    else
        snprintf(buf, n, "its worker process ended while running it");
}

static int reap(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

am_status am_sweep_execute_local(am_sweep *s, const am_sweep_exec_opts *o, am_sweep_outcome *out,
                                 am_error *err) {
    memset(out, 0, sizeof *out);
    if (!s || !o) return am_error_set(err, AM_EINVAL, "am_sweep_execute_local: NULL argument");
    sweep_tracker t;
    am_status st = am_sweep__tracker_init(&t, s, o, err);
    if (st) return st;
    int nw = o->workers > 0 ? o->workers : 1;
    if (nw > t.n_todo) nw = t.n_todo;
    worker *w = calloc((size_t)nw + 1, sizeof *w);
    if (!w) {
        am_sweep__tracker_free(&t);
        return am_error_set(err, AM_ENOMEM, "out of memory");
    }
    for (int k = 0; k < nw; k++)
        w[k].fd = w[k].run = -1;
    int alive = 0;
    for (int k = 0; k < nw; k++)
        if (spawn(s, o, w, nw, k)) alive++;
    if (nw > 0 && alive == 0) {
        st = am_error_set(err, AM_EIO, "cannot start worker processes: %s", strerror(errno));
        goto done;
    }
    struct pollfd *pf = calloc((size_t)nw + 1, sizeof *pf);
    int *pk = calloc((size_t)nw + 1, sizeof *pk);
    if (!pf || !pk) {
        free(pf);
        free(pk);
        st = am_error_set(err, AM_ENOMEM, "out of memory");
        goto done;
    }
    for (;;) {
        int was_stopping = t.stopping;
        am_sweep__tracker_check_stop(&t);
        /* hand out runs to idle workers; release the ones with nothing left to do */
        int busy = 0;
        for (int k = 0; k < nw; k++) {
            if (w[k].fd < 0) continue;
            if (w[k].run < 0 && !t.stopping && t.next < t.n_todo) {
                int32_t run = t.todo[t.next];
                if (write_full(w[k].fd, &run, sizeof run)) {
                    w[k].run = run;
                    t.next++;
                }
            }
            if (w[k].run < 0) {
                int32_t stop = -1;
                write_full(w[k].fd, &stop, sizeof stop);
                close(w[k].fd);
                w[k].fd = -1;
                reap(w[k].pid);
                continue;
            }
            if (t.stopping && !was_stopping) kill(w[k].pid, SIGTERM);
            busy++;
        }
        if (busy == 0) break;
        int np = 0;
        for (int k = 0; k < nw; k++)
            if (w[k].fd >= 0 && w[k].run >= 0) {
                pf[np].fd = w[k].fd;
                pf[np].events = POLLIN;
                pf[np].revents = 0;
                pk[np++] = k;
            }
        int r = poll(pf, (nfds_t)np, 250);
        if (r < 0 && errno != EINTR) {
            st = am_error_set(err, AM_EIO, "poll: %s", strerror(errno));
            break;
        }
        for (int q = 0; r > 0 && q < np; q++) {
            if (!pf[q].revents) continue;
            worker *wk = &w[pk[q]];
            sweep_result_msg m;
            int got = read_full(wk->fd, &m, sizeof m);
            if (got == 1 && m.run == wk->run) {
                m.msg[sizeof m.msg - 1] = '\0';
                am_sweep__tracker_record(&t, m.run, (am_status)m.code, m.msg, m.wall_s, pk[q]);
                wk->run = -1;
                continue;
            }
            /* the worker died: its run failed (a crash is that run's failure), start another */
            close(wk->fd);
            wk->fd = -1;
            int status = reap(wk->pid);
            char why[256];
            describe_death(status, why, sizeof why);
            int died_of_stop = t.stopping && WIFSIGNALED(status) &&
                               (WTERMSIG(status) == SIGTERM || WTERMSIG(status) == SIGINT);
            am_sweep__tracker_record(&t, wk->run, died_of_stop ? AM_EINTR : AM_EIO, why, NAN,
                                     pk[q]);
            wk->run = -1;
            if (!t.stopping && t.next < t.n_todo) spawn(s, o, w, nw, pk[q]);
        }
        am_sweep__tracker_progress(&t, 0);
    }
    free(pf);
    free(pk);
done:
    for (int k = 0; k < nw; k++)
        if (w[k].fd >= 0) {
            int32_t stop = -1;
            write_full(w[k].fd, &stop, sizeof stop);
            close(w[k].fd);
            reap(w[k].pid);
        }
    free(w);
    am_sweep__tracker_finish(&t, out);
    out->n_workers = nw;
    snprintf(out->mode, sizeof out->mode, "local, %d worker process%s", nw, nw == 1 ? "" : "es");
    am_sweep__tracker_free(&t);
    return st;
}
