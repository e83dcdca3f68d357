/* run.c - thag-run: memory-profiles an unmodified, dynamically linked program.

   thag-run [options] -- program args...
   thag-run [options] --from DIR

   Runs the program with libthag_preload.so (tools/preload.c: thag_profiler's
   allocator hooks as an LD_PRELOAD library) in a fresh output directory,
   where every process (the program and the children it starts) writes its
   own folded files into a subdirectory named by its pid. When the program
   ends, thag-run reads them all and prints a report: totals (allocations,
   deallocations, bytes, peak, current) and the top allocation sites, as
   text or JSON (cargo-alloc-profile's shape: "allocations" and "summary").
   The program's output, exit status and signals pass through unchanged.
   See docs/run.md.

   Build: cc -std=c11 -O2 -g -I tools tools/run.c -o build/thag-run
   (and the library: see tools/preload.c). */
#define _GNU_SOURCE 1
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "folded.h"

#define RUN_VERSION "0.1.0"

#define RUN_MAX_SKIP 32

enum { SORT_COUNT, SORT_BYTES, SORT_LIVE };
enum { MODE_SUMMARY, MODE_DETAIL, MODE_SAMPLED };

typedef struct options {
    int json, sort, mode, frames, quiet, signals, full;
    unsigned long long min_count, threshold, limit, sample_bytes;
    const char *stack;       /* unwind | fp | libgcc */
    const char *dir;         /* output directory (NULL: made up) */
    const char *from;        /* analyse this directory, run nothing */
    const char *report_file; /* the report goes here, not to stderr */
    const char *skip[RUN_MAX_SKIP];
    int nskip;
    char **argv;             /* the program and its arguments */
} options;

/* One allocation site (the innermost frames of a stack) or one process. */
typedef struct site {
    char *key;
    unsigned long long count, bytes, live;
} site;

typedef struct table {
    site *v;
    size_t cap, n;
} table;

/* The totals of one process (one -memory_calls.folded file). */
typedef struct proc {
    char program[128], mode[16];
    long pid;
    unsigned long long allocs, deallocs, bytes, peak, current;
    unsigned long long temporary; /* freed before the thread's next allocation or free */
    int has_temporary;            /* the key is there (an estimate in sampled mode) */
} proc;

typedef struct report {
    table sites;
    proc *procs;
    size_t nprocs, cap;
    unsigned long long total_stack_allocs;
    int malformed;
} report;

static const char *prog_name = "thag-run";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "%s: ", prog_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(125);
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) die("out of memory");
    return p;
}

static char *xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

/* ---------------------------------------------------------------- table */

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull;
    while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211ull;
    return h;
}

static void table_grow(table *t) {
    size_t cap = t->cap ? t->cap * 2 : 1024, i;
    site *v = calloc(cap, sizeof *v);
    if (!v) die("out of memory");
    for (i = 0; i < t->cap; i++) {
        size_t j;
        if (!t->v[i].key) continue;
        for (j = hash_str(t->v[i].key) & (cap - 1); v[j].key; j = (j + 1) & (cap - 1)) {}
        v[j] = t->v[i];
    }
    free(t->v);
    t->v = v;
    t->cap = cap;
}

/* The entry of key (copied on insertion). */
static site *table_get(table *t, const char *key) {
    size_t i;
    if (2 * (t->n + 1) > t->cap) table_grow(t);
    for (i = hash_str(key) & (t->cap - 1); t->v[i].key; i = (i + 1) & (t->cap - 1))
        if (strcmp(t->v[i].key, key) == 0) return &t->v[i];
    t->v[i].key = xstrdup(key);
    t->n++;
    return &t->v[i];
}

/* -------------------------------------------------------------- options */

static void usage(FILE *f) {
    fputs("usage: thag-run [options] -- program [args...]\n"
          "       thag-run [options] --from DIR\n"
          "Runs a dynamically linked program with thag_profiler's allocator hooks\n"
          "preloaded and reports its heap allocations (see docs/run.md).\n"
          "      --format text|json         report format (default text; old name\n"
          "                                 --output-format)\n"
          "      --sort-by count|bytes|live sites order (default count)\n"
          "      --limit N                  sites shown (default 20; 0: all)\n"
          "      --min-count N              hide sites with fewer allocations\n"
          "      --threshold-bytes N        hide sites that allocated fewer bytes\n"
          "      --frames N                 a site is the N innermost frames (default 1)\n"
          "      --full-stack               a site is the whole stack\n"
          "      --skip NAME                skip frames named NAME (or NAME*) inward\n"
          "                                 when naming a site (allocation wrappers)\n"
          "      --mode detail|sampled|summary  what the hooks record (default detail)\n"
          "      --sample-bytes N           sampled mode, one sample per N bytes on average\n"
          "      --stack unwind|fp|libgcc   stack capture (default unwind)\n"
          "  -d, --dir DIR                  output directory (default thag-run-<program>-<time>)\n"
          "  -o, --output FILE              write the report to FILE, not stderr (- : stdout;\n"
          "                                 old name --report-file)\n"
          "  -q, --quiet                    no report on stderr (files only)\n"
          "      --signals                  the program writes its profile on SIGINT/TERM/HUP\n"
          "      --from DIR                 report on an existing output directory\n"
          "  -h, --help, --version\n",
          f);
}

static unsigned long long parse_count(const char *opt, const char *v) {
    char *end;
    unsigned long long x;
    errno = 0;
    if (!v || !isdigit((unsigned char)*v)) die("%s needs a non-negative integer, got '%s'", opt, v ? v : "");
    x = strtoull(v, &end, 10);
    if (errno || *end) die("%s needs a non-negative integer, got '%s'", opt, v);
    return x;
}

static int pick(const char *opt, const char *v, const char *const *words) {
    int i;
    for (i = 0; words[i]; i++)
        if (v && strcmp(v, words[i]) == 0) return i;
    die("%s: '%s' is not one of the accepted values (see --help)", opt, v ? v : "");
}

/* -o FILE: the report goes to FILE, as -o means in every tool. "-o text" and "-o json" were
   the format once and still are, with a note (a file of that name: -o ./json). */
static void output_to(options *o, const char *opt, const char *v) {
    if (v && (!strcmp(v, "json") || !strcmp(v, "text"))) {
        fprintf(stderr, "thag-run: note: '%s %s' is the old spelling of --format %s; %s names the "
                "report file (./%s for a file of that name)\n", opt, v, v, opt, v);
        o->json = !strcmp(v, "json");
    } else {
        o->report_file = v;
    }
}

/* Options that take a value; returns 1 when `a` was one of them. */
static int value_option(options *o, const char *a, const char *v) {
    static const char *const fmt[] = {"text", "json", NULL}, *const sorts[] = {"count", "bytes", "live", NULL};
    static const char *const modes[] = {"summary", "detail", "sampled", NULL};
    static const char *const stacks[] = {"unwind", "fp", "libgcc", NULL};
    if (!strcmp(a, "--format") || !strcmp(a, "--output-format")) o->json = pick(a, v, fmt);
    else if (!strcmp(a, "-o") || !strcmp(a, "--output")) output_to(o, a, v);
    else if (!strcmp(a, "--sort-by")) o->sort = pick(a, v, sorts);
    else if (!strcmp(a, "--limit")) o->limit = parse_count(a, v);
    else if (!strcmp(a, "--min-count")) o->min_count = parse_count(a, v);
    else if (!strcmp(a, "--threshold-bytes")) o->threshold = parse_count(a, v);
    else if (!strcmp(a, "--frames")) o->frames = (int)parse_count(a, v);
    else if (!strcmp(a, "--mode")) o->mode = pick(a, v, modes);
    else if (!strcmp(a, "--sample-bytes")) o->sample_bytes = parse_count(a, v), o->mode = MODE_SAMPLED;
    else if (!strcmp(a, "--stack")) o->stack = stacks[pick(a, v, stacks)];
    else if (!strcmp(a, "-d") || !strcmp(a, "--dir")) o->dir = v;
    else if (!strcmp(a, "--report-file")) o->report_file = v;
    else if (!strcmp(a, "--from")) o->from = v;
    else if (!strcmp(a, "--skip")) {
        if (o->nskip == RUN_MAX_SKIP) die("at most %d --skip options", RUN_MAX_SKIP);
        o->skip[o->nskip++] = v;
    } else return 0;
    if (!v) die("%s needs a value", a);
    return 1;
}

static void parse_options(options *o, int argc, char **argv) {
    int i;
    memset(o, 0, sizeof *o);
    o->limit = 20;
    o->frames = 1;
    o->mode = MODE_DETAIL;
    o->stack = "unwind";
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *eq = strchr(a, '=');
        char name[64];
        if (!strcmp(a, "--")) { i++; break; }
        if (a[0] != '-') break; /* the program itself */
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); exit(0); }
        if (!strcmp(a, "--version")) { printf("thag-run %s\n", RUN_VERSION); exit(0); }
        if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) { o->quiet = 1; continue; }
        if (!strcmp(a, "--signals")) { o->signals = 1; continue; }
        if (!strcmp(a, "--full-stack")) { o->full = 1; continue; }
        if (eq && a[1] == '-' && (size_t)(eq - a) < sizeof name) { /* --opt=value */
            memcpy(name, a, (size_t)(eq - a));
            name[eq - a] = 0;
            if (value_option(o, name, eq + 1)) continue;
        } else if (value_option(o, a, i + 1 < argc ? argv[i + 1] : NULL)) { i++; continue; }
        fprintf(stderr, "%s: unknown option: %s\nTry '%s --help'.\n", prog_name, a, prog_name);
        exit(125);
    }
    if (o->mode == MODE_SAMPLED && !o->sample_bytes) o->sample_bytes = 524288;
    if (o->mode != MODE_SAMPLED) o->sample_bytes = 0;
    o->argv = argv + i;
    if (!o->from && !argv[i]) { usage(stderr); exit(125); }
    if (o->from && argv[i]) die("--from analyses a directory: give no program");
}

/* ------------------------------------------------------------ the child */

/* Finds libthag_preload.so: $THAG_PRELOAD, next to this executable (the
   build directory), or in ../lib/thag/ from it (an installed copy).
   Returns a malloc'd path, or dies naming the places it looked. */
static char *find_preload(void) {
    const char *env = getenv("THAG_PRELOAD");
    char exe[PATH_MAX], path[PATH_MAX + 64], *slash;
    ssize_t n;
    if (env && *env) {
        if (access(env, R_OK) != 0) die("THAG_PRELOAD=%s: %s", env, strerror(errno));
        return xstrdup(env);
    }
    if ((n = readlink("/proc/self/exe", exe, sizeof exe - 1)) <= 0) die("cannot read /proc/self/exe");
    exe[n] = 0;
    if ((slash = strrchr(exe, '/')) != NULL) *slash = 0;
    snprintf(path, sizeof path, "%s/libthag_preload.so", exe);
    if (access(path, R_OK) == 0) return xstrdup(path);
    snprintf(path, sizeof path, "%s/../lib/thag/libthag_preload.so", exe);
    if (access(path, R_OK) == 0) return xstrdup(path);
    die("libthag_preload.so is neither in %s nor in %s/../lib/thag; set THAG_PRELOAD", exe, exe);
}

/* Creates the output directory and returns its absolute path: DIR (which
   must be new or empty), or thag-run-<program>-<yyyymmdd>-<HHMMSS>[-N].
   *created: whether this call created it (1) or DIR already existed (0). */
static char *make_dir(const options *o, int *created) {
    char name[PATH_MAX], abs[PATH_MAX];
    const char *base = strrchr(o->argv[0], '/');
    int i;
    if (o->dir) {
        DIR *d;
        struct dirent *e;
        *created = mkdir(o->dir, 0755) == 0;
        if (!*created && errno != EEXIST) die("cannot create %s: %s", o->dir, strerror(errno));
        if (!(d = opendir(o->dir))) die("cannot open %s: %s", o->dir, strerror(errno));
        while ((e = readdir(d)) != NULL)
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) die("%s is not empty", o->dir);
        closedir(d);
        snprintf(name, sizeof name, "%s", o->dir);
    } else {
        time_t now = time(NULL);
        struct tm tm;
        char stamp[32];
        localtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
        for (i = 1;; i++) {
            if (i == 1) snprintf(name, sizeof name, "thag-run-%s-%s", base ? base + 1 : o->argv[0], stamp);
            else snprintf(name, sizeof name, "thag-run-%s-%s-%d", base ? base + 1 : o->argv[0], stamp, i);
            if (mkdir(name, 0755) == 0) {
                *created = 1;
                break;
            }
            if (errno != EEXIST || i > 1000) die("cannot create %s: %s", name, strerror(errno));
        }
    }
    if (!realpath(name, abs)) die("%s: %s", name, strerror(errno));
    return xstrdup(abs);
}

/* In the child: the environment the preloaded library reads, then exec. */
static void exec_child(const options *o, const char *lib, const char *dir) {
    const char *old = getenv("LD_PRELOAD");
    size_t n = strlen(lib) + (old ? strlen(old) : 0) + 2;
    char *pre = xmalloc(n), prof[PATH_MAX + 32], sample[32];
    snprintf(pre, n, "%s%s%s", lib, old && *old ? ":" : "", old && *old ? old : "");
    snprintf(prof, sizeof prof, "memory,%s,,%s", dir, o->mode == MODE_SUMMARY ? "false" : "true");
    setenv("LD_PRELOAD", pre, 1);
    setenv("THAG_RUN_DIR", dir, 1);
    setenv("THAG_PROFILER", prof, 1);
    setenv("THAG_STACK", o->stack, 1);
    if (o->sample_bytes) {
        snprintf(sample, sizeof sample, "%llu", o->sample_bytes);
        setenv("THAG_SAMPLE_BYTES", sample, 1);
    } else {
        unsetenv("THAG_SAMPLE_BYTES");
    }
    if (o->signals) setenv("THAG_RUN_SIGNALS", "1", 1);
    else unsetenv("THAG_RUN_SIGNALS");
    execvp(o->argv[0], o->argv);
    fprintf(stderr, "%s: cannot run %s: %s\n", prog_name, o->argv[0], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
}

static volatile sig_atomic_t child_pid;

static void forward_signal(int sig) {
    if (child_pid > 0) kill((pid_t)child_pid, sig);
}

/* Runs the program; returns its wait status. While it runs, SIGINT and
   SIGQUIT (which a terminal sends to the whole group) are ignored here, as
   time(1) does, and SIGTERM, SIGHUP, SIGUSR1, SIGUSR2 are forwarded. */
static int run_child(const options *o, const char *lib, const char *dir) {
    static const int fwd[] = {SIGTERM, SIGHUP, SIGUSR1, SIGUSR2};
    struct sigaction ign, fw, old_int, old_quit;
    pid_t pid;
    int status = 0;
    size_t i;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    memset(&fw, 0, sizeof fw);
    fw.sa_handler = forward_signal;
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    fflush(NULL);
    if ((pid = fork()) < 0) die("fork: %s", strerror(errno));
    if (pid == 0) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        exec_child(o, lib, dir);
    }
    child_pid = pid;
    for (i = 0; i < sizeof fwd / sizeof *fwd; i++) sigaction(fwd[i], &fw, NULL);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) die("waitpid: %s", strerror(errno));
    child_pid = 0;
    return status;
}

/* Ends thag-run the way the program ended: its exit code, or death by the
   same signal (without a core dump of thag-run itself); 128 + N when the
   signal does not terminate thag-run. */
static void exit_like(int status) {
    int sig;
    struct rlimit no_core = {0, 0};
    if (WIFEXITED(status)) exit(WEXITSTATUS(status));
    if (!WIFSIGNALED(status)) exit(125);
    sig = WTERMSIG(status);
    fflush(NULL);
    setrlimit(RLIMIT_CORE, &no_core);
    signal(sig, SIG_DFL);
    {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, sig);
        sigprocmask(SIG_UNBLOCK, &s, NULL);
    }
    raise(sig);
    exit(128 + sig);
}

/* -------------------------------------------------------------- reading */

static int skipped(const options *o, const char *frame, size_t len) {
    int i;
    for (i = 0; i < o->nskip; i++) {
        size_t n = strlen(o->skip[i]);
        if (n && o->skip[i][n - 1] == '*') {
            if (len >= n - 1 && !strncmp(frame, o->skip[i], n - 1)) return 1;
        } else if (n == len && !strncmp(frame, o->skip[i], n)) {
            return 1;
        }
    }
    return 0;
}

/* The site of a stack (writable; outermost frame first): its innermost
   --frames frames (all with --full-stack), after dropping innermost frames
   named by --skip (never the last one). Returns a pointer into stack. */
static char *site_of(const options *o, char *stack, size_t len) {
    char *end = stack + len, *p;
    int kept = 0;
    for (;;) { /* drop skipped innermost frames */
        p = end;
        while (p > stack && p[-1] != ';') p--;
        if (p == stack || !skipped(o, p, (size_t)(end - p))) break;
        end = p - 1;
    }
    *end = 0;
    if (o->full) return stack;
    for (p = end; p > stack; p--)
        if (p[-1] == ';' && ++kept == o->frames) return p;
    return stack;
}

/* Adds each line of a detail file to its site: field 0 count, 1 bytes,
   2 live bytes. A missing file adds nothing. */
static void load_sites(report *r, const options *o, const char *path, int field) {
    FILE *f = fopen(path, "r");
    folded_reader *fr;
    folded_line l;
    int rc;
    if (!f) return;
    if (!(fr = folded_open(f, path))) die("out of memory");
    while ((rc = folded_next(fr, &l)) == 1) {
        site *s = table_get(&r->sites, site_of(o, l.stack, l.stack_len));
        unsigned long long v = (unsigned long long)l.value;
        if (field == 0) s->count += v, r->total_stack_allocs += v;
        else if (field == 1) s->bytes += v;
        else s->live += v;
    }
    if (rc < 0) fprintf(stderr, "%s: %s\n", prog_name, folded_error(fr));
    if (folded_malformed(fr)) r->malformed = 1;
    folded_close(fr);
    fclose(f);
}

static unsigned long long meta_num(folded_reader *fr, const char *key) {
    char v[64];
    return folded_meta_value(fr, key, v, sizeof v) ? strtoull(v, NULL, 10) : 0;
}

/* Reads the totals of one process from its -memory_calls.folded file. */
static int load_proc(report *r, const char *path) {
    FILE *f = fopen(path, "r");
    folded_reader *fr;
    folded_line l;
    proc *p;
    char v[32];
    if (!f) return -1;
    if (!(fr = folded_open(f, path))) die("out of memory");
    folded_set_report(fr, -1);
    while (folded_next(fr, &l) == 1) {}
    if (r->nprocs == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 16;
        if (!(r->procs = realloc(r->procs, r->cap * sizeof *r->procs))) die("out of memory");
    }
    p = &r->procs[r->nprocs];
    memset(p, 0, sizeof *p);
    if (!folded_meta(fr) || !folded_meta_value(fr, "allocations", v, sizeof v)) {
        fprintf(stderr, "%s: %s:1: no thag_profiler metadata line; ignored\n", prog_name, path);
    } else {
        folded_meta_value(fr, "program", p->program, sizeof p->program);
        folded_meta_value(fr, "mode", p->mode, sizeof p->mode);
        p->pid = (long)meta_num(fr, "pid");
        p->allocs = meta_num(fr, "allocations");
        p->deallocs = meta_num(fr, "deallocations");
        p->bytes = meta_num(fr, "bytes");
        p->peak = meta_num(fr, "peak");
        p->current = meta_num(fr, "current");
        p->has_temporary = folded_meta_value(fr, "temporary", v, sizeof v);
        p->temporary = meta_num(fr, "temporary");
        r->nprocs++;
    }
    folded_close(fr);
    fclose(f);
    return 0;
}

/* One process's files: <prefix>-memory_calls.folded and its detail files. */
static void load_prefix(report *r, const options *o, const char *dir, const char *name) {
    static const char *const kinds[3] = {"memory_detail_calls", "memory_detail", "memory_detail_live"};
    char path[PATH_MAX * 2];
    size_t n = strlen(name) - strlen("-memory_calls.folded");
    int k;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (load_proc(r, path)) return;
    for (k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/%.*s-%s.folded", dir, (int)n, name, kinds[k]);
        load_sites(r, o, path, k);
    }
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

/* Every process's files in dir and its subdirectories (one level). */
static void load_dir(report *r, const options *o, const char *dir, int depth) {
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    if (!d) die("cannot open %s: %s", dir, strerror(errno));
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n == cap && !(names = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *names))) die("out of memory");
        names[n++] = xstrdup(e->d_name);
    }
    closedir(d);
    for (i = 0; i < n; i++) {
        char sub[PATH_MAX * 2];
        struct stat st;
        snprintf(sub, sizeof sub, "%s/%s", dir, names[i]);
        if (ends_with(names[i], "-memory_calls.folded")) load_prefix(r, o, dir, names[i]);
        else if (depth == 0 && stat(sub, &st) == 0 && S_ISDIR(st.st_mode)) load_dir(r, o, sub, 1);
        free(names[i]);
    }
    free(names);
}

/* ------------------------------------------------------------- the report */

typedef struct totals { unsigned long long allocs, deallocs, bytes, peak, current, temporary; int has_temporary; } totals;

static totals sum_procs(const report *r) {
    totals t;
    size_t i;
    memset(&t, 0, sizeof t);
    for (i = 0; i < r->nprocs; i++) {
        const proc *p = &r->procs[i];
        t.allocs += p->allocs;
        t.deallocs += p->deallocs;
        t.bytes += p->bytes;
        t.current += p->current;
        t.temporary += p->temporary;
        t.has_temporary |= p->has_temporary;
        if (p->peak > t.peak) t.peak = p->peak;
    }
    return t;
}

static int sort_key;

static unsigned long long site_value(const site *s) {
    return sort_key == SORT_COUNT ? s->count : sort_key == SORT_BYTES ? s->bytes : s->live;
}

static int cmp_site(const void *a, const void *b) {
    const site *x = a, *y = b;
    unsigned long long u = site_value(x), v = site_value(y);
    if (u != v) return u > v ? -1 : 1;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return strcmp(x->key, y->key);
}

static int cmp_proc(const void *a, const void *b) {
    const proc *x = a, *y = b;
    if (x->pid != y->pid) return x->pid < y->pid ? -1 : 1;
    return strcmp(x->program, y->program);
}

/* The sites that pass the filters, sorted, in a new array; *shown is how
   many to print (--limit), *n how many passed. */
static site *select_sites(const report *r, const options *o, size_t *n, size_t *shown) {
    site *v = xmalloc((r->sites.n + 1) * sizeof *v);
    size_t i, k = 0;
    for (i = 0; i < r->sites.cap; i++) {
        const site *s = &r->sites.v[i];
        if (s->key && s->count >= o->min_count && s->bytes >= o->threshold) v[k++] = *s;
    }
    sort_key = o->sort;
    qsort(v, k, sizeof *v, cmp_site);
    *n = k;
    *shown = o->limit && o->limit < k ? (size_t)o->limit : k;
    return v;
}

static void json_str(FILE *f, const char *s, size_t n) {
    size_t i;
    fputc('"', f);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

/* "backtrace": the site's frames, innermost first. */
static void json_frames(FILE *f, const char *key) {
    const char *end = key + strlen(key), *p;
    int first = 1;
    fputs("[", f);
    while (end > key) {
        for (p = end; p > key && p[-1] != ';'; p--) {}
        fputs(first ? "" : ", ", f);
        json_str(f, p, (size_t)(end - p));
        first = 0;
        end = p > key ? p - 1 : key;
    }
    fputs("]", f);
}

static void json_report(FILE *f, const report *r, const options *o, const char *dir, int status) {
    totals t = sum_procs(r);
    size_t n, shown, i;
    site *v = select_sites(r, o, &n, &shown);
    fputs("{\n  \"command\": [", f);
    for (i = 0; o->argv[i]; i++) {
        fputs(i ? ", " : "", f);
        json_str(f, o->argv[i], strlen(o->argv[i]));
    }
    fputs("],\n  \"directory\": ", f);
    json_str(f, dir, strlen(dir));
    if (status < 0) fputs(",\n  \"exit\": null", f);
    else if (WIFSIGNALED(status)) fprintf(f, ",\n  \"exit\": {\"signal\": %d}", WTERMSIG(status));
    else fprintf(f, ",\n  \"exit\": {\"status\": %d}", WEXITSTATUS(status));
    fputs(",\n  \"processes\": [", f);
    for (i = 0; i < r->nprocs; i++) {
        const proc *p = &r->procs[i];
        fprintf(f, "%s\n    {\"program\": ", i ? "," : "");
        json_str(f, p->program, strlen(p->program));
        fprintf(f, ", \"pid\": %ld, \"mode\": \"%s\", \"total_allocations\": %llu, \"total_deallocations\": %llu, "
                   "\"total_bytes_allocated\": %llu, \"peak_memory\": %llu, \"current_memory\": %llu}",
                p->pid, p->mode, p->allocs, p->deallocs, p->bytes, p->peak, p->current);
    }
    fprintf(f, "%s],\n  \"sites_total\": %zu,\n  \"allocations\": [", r->nprocs ? "\n  " : "", n);
    for (i = 0; i < shown; i++) {
        fprintf(f, "%s\n    {\"site\": ", i ? "," : "");
        json_str(f, v[i].key, strlen(v[i].key));
        fprintf(f, ", \"count\": %llu, \"total_bytes\": %llu, \"average_bytes\": %llu, \"live_bytes\": %llu, \"backtrace\": ",
                v[i].count, v[i].bytes, v[i].count ? v[i].bytes / v[i].count : 0, v[i].live);
        json_frames(f, v[i].key);
        fputs("}", f);
    }
    fprintf(f, "%s],\n  \"summary\": {\"total_allocations\": %llu, \"total_deallocations\": %llu, "
               "\"total_bytes_allocated\": %llu, \"peak_memory\": %llu, \"current_memory\": %llu}\n}\n",
            shown ? "\n  " : "", t.allocs, t.deallocs, t.bytes, t.peak, t.current);
    free(v);
}

static void text_status(FILE *f, int status) {
    if (status < 0) return;
    if (WIFSIGNALED(status)) fprintf(f, ", killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else fprintf(f, ", exit status %d", WEXITSTATUS(status));
}

static void text_procs(FILE *f, const report *r) {
    size_t i;
    if (r->nprocs < 2) return;
    fprintf(f, "\nProcesses\n  %8s %12s %12s %14s %12s  program\n", "pid", "allocations", "deallocs", "bytes", "peak");
    for (i = 0; i < r->nprocs; i++) {
        const proc *p = &r->procs[i];
        fprintf(f, "  %8ld %12llu %12llu %14llu %12llu  %s\n", p->pid, p->allocs, p->deallocs, p->bytes, p->peak,
                p->program);
    }
}

static void text_report(FILE *f, const report *r, const options *o, const char *dir, int status) {
    static const char *const by[] = {"count", "bytes", "live bytes"};
    totals t = sum_procs(r);
    size_t n, shown, i;
    site *v = select_sites(r, o, &n, &shown);
    fputs("thag-run:", f);
    for (i = 0; o->argv[i] && i < 8; i++) fprintf(f, " %.60s", o->argv[i]);
    fprintf(f, "%s%s%zu process%s", o->argv[i] ? " ..." : "", i ? ": " : " ", r->nprocs, r->nprocs == 1 ? "" : "es");
    text_status(f, status);
    fprintf(f, "\nprofile files: %s\n\nSummary%s\n", dir,
            r->nprocs && !strcmp(r->procs[0].mode, "sampled") ? " (sampled: estimates from the samples)" : "");
    fprintf(f, "  total allocations:      %llu\n  total deallocations:    %llu\n", t.allocs, t.deallocs);
    fprintf(f, "  total bytes allocated:  %llu\n  peak memory:            %llu%s\n", t.bytes, t.peak,
            r->nprocs > 1 ? " (the highest of one process)" : "");
    fprintf(f, "  current memory:         %llu (live at exit)\n", t.current);
    if (t.has_temporary) /* issue 13: the per-stack counts are in -memory_temp.folded */
        fprintf(f, "  temporary allocations:  %llu (freed before the thread's next allocation or free)\n", t.temporary);
    text_procs(f, r);
    if (!r->sites.n && r->nprocs && !strcmp(r->procs[0].mode, "sampled")) {
        char mean[48] = "";
        if (o->sample_bytes) snprintf(mean, sizeof mean, ", %llu bytes,", o->sample_bytes);
        fprintf(f, "\nNo allocation was sampled: the mean sampling interval%s is too large for this run; "
                   "try a smaller --sample-bytes.\n", mean);
        free(v);
        return;
    }
    if (!r->sites.n) {
        fprintf(f, "\nNo allocation sites (summary mode, or no allocation).\n");
        free(v);
        return;
    }
    fprintf(f, "\nTop allocation sites by %s (%zu of %zu shown%s)\n", by[o->sort], shown, n,
            r->procs && !strcmp(r->procs[0].mode, "sampled") ? "; sampled: estimates" : "");
    fprintf(f, "  %10s %14s %10s %14s  site\n", "count", "bytes", "average", "live");
    for (i = 0; i < shown; i++)
        fprintf(f, "  %10llu %14llu %10llu %14llu  %s\n", v[i].count, v[i].bytes,
                v[i].count ? v[i].bytes / v[i].count : 0, v[i].live, v[i].key);
    free(v);
}

/* Writes the report into dir (report.txt or report.json), then to the
   chosen stream: --report-file, else stderr unless --quiet. */
static void emit(const report *r, const options *o, const char *dir, int status) {
    char path[PATH_MAX + 32];
    FILE *f;
    snprintf(path, sizeof path, "%s/report.%s", dir, o->json ? "json" : "txt");
    if (!o->from) {
        if (!(f = fopen(path, "w"))) fprintf(stderr, "%s: cannot write %s: %s\n", prog_name, path, strerror(errno));
        else {
            (o->json ? json_report : text_report)(f, r, o, dir, status);
            if (fclose(f)) fprintf(stderr, "%s: cannot write %s: %s\n", prog_name, path, strerror(errno));
        }
    }
    if (o->report_file && strcmp(o->report_file, "-") != 0) {
        if (!(f = fopen(o->report_file, "w"))) die("cannot write %s: %s", o->report_file, strerror(errno));
    } else if (o->report_file || o->from) {
        f = stdout; /* --from: no program output to keep apart */
    } else if (o->quiet) {
        return;
    } else {
        f = stderr;
    }
    (o->json ? json_report : text_report)(f, r, o, dir, status);
    if (fflush(f) || (f != stdout && f != stderr && fclose(f)))
        fprintf(stderr, "%s: cannot write the report: %s\n", prog_name, strerror(errno));
}

/* Whether the child could not exec the program (execvp failed: status 127 or 126). */
static int not_started(int status) {
    return WIFEXITED(status) && (WEXITSTATUS(status) == 127 || WEXITSTATUS(status) == 126);
}

int main(int argc, char **argv) {
    options o;
    report r;
    char *dir, *lib = NULL;
    int status = -1, created = 0;
    parse_options(&o, argc, argv);
    memset(&r, 0, sizeof r);
    if (o.from) {
        static char *none[1] = {NULL};
        dir = xstrdup(o.from);
        o.argv = none;
    } else {
        lib = find_preload();
        dir = make_dir(&o, &created);
        status = run_child(&o, lib, dir);
    }
    load_dir(&r, &o, dir, 0);
    if (r.nprocs) qsort(r.procs, r.nprocs, sizeof *r.procs, cmp_proc);
    if (!r.nprocs && o.from) {
        fprintf(stderr, "%s: no profile in %s (no *-memory_calls.folded file in it or in its subdirectories)\n",
                prog_name, dir);
        return 1;
    }
    if (!r.nprocs && not_started(status)) {
        /* exec failed (reported by the child): nothing to report; remove the directory we made */
        if (created) rmdir(dir);
        free(lib);
        exit_like(status);
    }
    if (!r.nprocs)
        fprintf(stderr, "%s: no profile in %s (the program did not start, is statically linked, was killed, "
                        "or ended by a way that skips exit handlers)\n", prog_name, dir);
    emit(&r, &o, dir, status);
    free(lib);
    if (o.from) return r.nprocs ? 0 : 1;
    exit_like(status);
}
