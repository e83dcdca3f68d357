/* thag_profiler.h - v0.1.0 - time (and soon memory) profiling for C, one header.
   SPDX-License-Identifier: MIT OR Apache-2.0

   A C port of the ideas of the Rust crate thag_profiler: mark functions and
   sections, run, and get folded stack files that every flamegraph tool reads.

   USAGE

   Do this:
       #define THAG_PROFILER_IMPLEMENTATION
   in *one* C or C++ file before you include this file, so:
       #define THAG_PROFILER_IMPLEMENTATION
       #include "thag_profiler.h"
   Every other file just includes it. Then build the whole program with one
   of the build switches below and `-pthread`:

       cc -O2 -DTHAG_TIME_PROFILING -pthread main.c other.c -o prog

   In the code:

       #include "thag_profiler.h"
       static void parse(void) {
           THAG_PROFILE(parse);               // first statement: profiles until return
           THAG_SECTION(tokenise);            // a named section ...
           ...
           THAG_END(tokenise);                // ... ended here (or at scope exit)
       }
       int main(void) {
           THAG_ENABLE_PROFILING(yes);        // first statement of main: main is the root
           parse();
           return 0;                          // output is written here (or at exit())
       }

   Running it writes prog-<yyyymmdd>-<HHMMSS>.folded (and friends, see
   OUTPUT) in the current directory: `main;parse;tokenise 1234567`.

   BUILD SWITCHES (define for the WHOLE build, the same in every translation
   unit, on the compiler command line)

   THAG_TIME_PROFILING   time profiling.
   THAG_FULL_PROFILING   time and memory profiling. Memory profiling is not in
                         this version yet: the memory kinds below are accepted
                         and ignored (only time is profiled, and a one-line
                         notice says so when memory is asked for).
   Neither defined       every macro expands to ((void)0), the functions become
                         inline no-ops, the implementation compiles to nothing,
                         and no symbol of this library is referenced: a
                         function's object code is identical with and without
                         the macros (tests/zero_cost.sh checks the disassembly).
   The VALUE matters, unlike Tracy's TRACY_ENABLE: `-DTHAG_TIME_PROFILING` or
   `=1` enables, `=0` disables, as you would expect.

   Options for the implementation file only (define before the include):
   THAG_PROFILER_STATIC  make the public functions static (one-file programs).
   THAG_ASSERT(x)        assertion used by the library (default: assert).

   MACROS

   THAG_PROFILE(fn)          First statement of a function. Profiles the
                             function until it returns (GCC/Clang cleanup
                             attribute). `fn` is an identifier, the frame name.
   THAG_PROFILE(fn, kind)    The same with a profile kind: time, mem_summary,
                             mem_detail, both (the original's
                             #[profiled(...)]); the memory kinds are accepted
                             and ignored in this version.
   THAG_SECTION(name)        Opens a section named `name` (an identifier) that
                             lasts until THAG_END(name) or the end of the
                             enclosing scope, whichever comes first. Sections
                             nest, may overlap (end in any order: each gets its
                             own time), and a name may be reused in another
                             scope. Reusing a name in the same scope needs a new
                             block: the section is a local variable.
   THAG_SECTION_NAMED(id, "text")   A section whose frame name is any string.
   THAG_END(name)            Ends section `name`. Ending it twice is harmless.
   THAG_ENABLE_PROFILING(opt)  First statement of main. opt is a bare word:
                             yes      the build's default (time; both with FULL)
                             time     time profiling
                             memory   memory profiling (see above)
                             both     time and memory
                             no       compiled in but off (thag_enable_profiling
                                      can still turn it on)
                             runtime  type and settings from THAG_PROFILER; no
                                      profiling when it is unset.
                             main becomes the root of every stack of the main
                             thread; the output is written when main returns,
                             or at exit() from anywhere, exactly once.

   FUNCTIONS (safe from any thread)

   thag_result thag_enable_profiling(int on, thag_profile_type type)
       Turns profiling on (type THAG_TYPE_TIME, _MEMORY, _BOTH) or off (on=0).
       Scopes entered while off are not recorded; scopes open when profiling
       is turned off still end normally.
   thag_result thag_flush(void)
       Writes the output files now (a snapshot: the calling thread's open
       scopes are counted up to now; the final write replaces the files).
   int thag_is_profiling_enabled(void)
   void thag_set_thread_name(const char *name)
       Names the calling thread's root frame (default: the name given with
       pthread_setname_np, else thread-N in order of first use).
   const char *thag_result_string(thag_result r)

   ENVIRONMENT

   THAG_PROFILER=<time|memory|both|none>[,<dir>[,<none|quiet|announce>[,<true|false>]]]
       Case-insensitive; any field may be empty (`memory,,,true`). Type (used
       by THAG_ENABLE_PROFILING(runtime)), output directory (default: the
       current directory; created if missing), debug log (quiet: written to
       $TMPDIR or /tmp as thag_profiler-<program>-<stamp>.log; announce: the
       same, and its path printed on stderr), memory detail (later). Under
       the other options the directory and debug fields still apply. A
       malformed value is reported once on stderr and the program runs
       unprofiled.
   THAG_MERGE_THREADS=<true|false>   merge all threads' stacks (no thread root
       frame). Default false.
   THAG_TIMELINE_EVENTS=<n>  bound of the chronological timeline, in events
       per thread (two per scope). Default 1000000 (16 MB per thread at most);
       0 turns the timeline off. Past the bound the timeline stops (its
       metadata line says truncated=yes); the aggregated files are complete.
   THAG_CLOCK=<auto|tsc|monotonic>   the clock; auto (default) uses the
       invariant TSC on x86-64, else clock_gettime(CLOCK_MONOTONIC).

   OUTPUT (in the output directory; <p> program name, <ts> start time)

   <p>-<ts>.folded            exclusive time per stack, in nanoseconds.
   <p>-<ts>-inclusive.folded  inclusive time per stack, in nanoseconds.
   <p>-<ts>-calls.folded      calls per stack (entries of the last frame).
   <p>-<ts>-timeline.folded   chronological: each line is one interval in
                              which that stack was on top, in order; merged
                              when adjacent lines are equal. For flamecharts.
   Lines are `frame;frame;frame value`. The first line is metadata that
   flamegraph tools ignore: `# thag_profiler 0.1.0: key=value ... unit=ns`.
   Main thread stacks start with main; other threads with their name.

   LIMITATIONS

   GCC or Clang (the cleanup attribute). Coroutines that switch stacks need
   the fiber API (later version). After a longjmp out of profiled scopes the
   stack recovers at the next profiled enter or exit in the function that
   called setjmp (or an outer one). A forked child is not profiled.

   LICENSE: MIT OR Apache-2.0, at the end of this file.
*/
#ifndef THAG_PROFILER_H
#define THAG_PROFILER_H

/* The implementation needs POSIX and a few GNU functions; when this header
   is the first thing the implementation file includes, ask for them. */
#if defined(THAG_PROFILER_IMPLEMENTATION) && !defined(_GNU_SOURCE) && !defined(__GLIBC__)
#define _GNU_SOURCE 1
#endif

#define THAG_PROFILER_VERSION_MAJOR 0
#define THAG_PROFILER_VERSION_MINOR 1
#define THAG_PROFILER_VERSION_PATCH 0
#define THAG_PROFILER_VERSION_STRING "0.1.0"

/* >>switches: empty or nonzero enables, 0 disables. (0 - X - 1) == 1 only
   when X is defined empty. */
#if defined(THAG_FULL_PROFILING) && ((0 - THAG_FULL_PROFILING - 1) == 1 || (THAG_FULL_PROFILING + 0) != 0)
#define THAG__ENABLED 1
#define THAG__MEMORY 1
#elif defined(THAG_TIME_PROFILING) && ((0 - THAG_TIME_PROFILING - 1) == 1 || (THAG_TIME_PROFILING + 0) != 0)
#define THAG__ENABLED 1
#define THAG__MEMORY 0
#else
#define THAG__ENABLED 0
#define THAG__MEMORY 0
#endif

#if THAG__ENABLED && !defined(__GNUC__)
#error "thag_profiler needs GCC or Clang (the cleanup attribute); build without THAG_TIME_PROFILING/THAG_FULL_PROFILING on this compiler"
#endif

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef THAG_API
#ifdef THAG_PROFILER_STATIC
#define THAG_API static
#else
#define THAG_API extern
#endif
#endif

typedef enum thag_profile_type {
    THAG_TYPE_NONE = 0,
    THAG_TYPE_TIME = 1,
    THAG_TYPE_MEMORY = 2,
    THAG_TYPE_BOTH = 3
} thag_profile_type;

typedef enum thag_result {
    THAG_OK = 0,
    THAG_ERR_DISABLED,   /* compiled without a build switch */
    THAG_ERR_CONFIG,     /* a malformed THAG_PROFILER value */
    THAG_ERR_IO,         /* an output file could not be written */
    THAG_ERR_NOMEM       /* the profiler's own memory ran out */
} thag_result;

/* A call site: one static record per THAG_PROFILE/THAG_SECTION. */
typedef struct thag_site {
    const char *name;
    const char *file;
    int line;
    int kind; /* thag__kind */
} thag_site;

/* A scope guard: where its frame sits in the thread's stack. */
typedef struct thag_scope {
    uint32_t depth;
    uint32_t serial; /* 0: inactive */
} thag_scope;

#if THAG__ENABLED

THAG_API thag_result thag_enable_profiling(int on, thag_profile_type type);
THAG_API thag_result thag_flush(void);
THAG_API int thag_is_profiling_enabled(void);
THAG_API void thag_set_thread_name(const char *name);
THAG_API const char *thag_result_string(thag_result r);

/* Internal entry points used by the macros. */
THAG_API thag_scope thag__enter(const thag_site *site, void *frame, void *ret, thag_scope *self);
THAG_API void thag__leave(thag_scope *scope);
THAG_API void thag__end(thag_scope *scope);
THAG_API void thag__enable_main(int option);
THAG_API void thag__leave_main(thag_scope *scope);

#define THAG__KIND_time 1
#define THAG__KIND_mem_summary 2
#define THAG__KIND_mem_detail 4
#define THAG__KIND_both 3
#define THAG__KIND_section 8

#define THAG__OPT_no 0
#define THAG__OPT_yes 1
#define THAG__OPT_time 2
#define THAG__OPT_memory 3
#define THAG__OPT_both 4
#define THAG__OPT_runtime 5

#define THAG__SCOPE(var, sitevar, text, kind, leave)                          \
    static const thag_site sitevar = {text, __FILE__, __LINE__, kind};        \
    thag_scope var __attribute__((cleanup(leave), unused)) =                  \
        thag__enter(&sitevar, __builtin_frame_address(0), __builtin_return_address(0), &var)

#define THAG__PROFILE1(fn) THAG__PROFILE2(fn, time)
#define THAG__PROFILE2(fn, kind)                                              \
    THAG__SCOPE(thag__fn_scope, thag__fn_site, #fn, THAG__KIND_##kind, thag__leave)
#define THAG__PICK(a, b, m, ...) m
#define THAG_PROFILE(...)                                                     \
    THAG__PICK(__VA_ARGS__, THAG__PROFILE2, THAG__PROFILE1, unused)(__VA_ARGS__)

#define THAG_SECTION(name) THAG_SECTION_NAMED(name, #name)
#define THAG_SECTION_NAMED(name, text)                                        \
    THAG__SCOPE(thag__sec_##name, thag__site_##name, text, THAG__KIND_section, thag__leave)
#define THAG_END(name) thag__end(&thag__sec_##name)

#define THAG_ENABLE_PROFILING(opt)                                            \
    thag__enable_main(THAG__OPT_##opt);                                       \
    THAG__SCOPE(thag__main_scope, thag__main_site, "main", THAG__KIND_time,   \
                thag__leave_main)

#else /* !THAG__ENABLED: the disabled twins, same arity */

#define THAG_PROFILE(...) ((void)0)
#define THAG_SECTION(name) ((void)0)
#define THAG_SECTION_NAMED(name, text) ((void)0)
#define THAG_END(name) ((void)0)
#define THAG_ENABLE_PROFILING(opt) ((void)0)

static inline thag_result thag_enable_profiling(int on, thag_profile_type type) {
    (void)on; (void)type; return THAG_ERR_DISABLED;
}
static inline thag_result thag_flush(void) { return THAG_ERR_DISABLED; }
static inline int thag_is_profiling_enabled(void) { return 0; }
static inline void thag_set_thread_name(const char *name) { (void)name; }
static inline const char *thag_result_string(thag_result r) {
    (void)r; return "thag_profiler is compiled out (no build switch)";
}

#endif /* THAG__ENABLED */

#ifdef __cplusplus
}
#endif

#endif /* THAG_PROFILER_H */

/* ======================================================================== */
/*                            IMPLEMENTATION                                */
/* ======================================================================== */
#ifdef THAG_PROFILER_IMPLEMENTATION
#ifndef THAG__IMPLEMENTATION_INCLUDED
#define THAG__IMPLEMENTATION_INCLUDED
#if THAG__ENABLED

/* >>platform */
#if !defined(__linux__)
#error "thag_profiler: this version supports Linux only (clock, threads, output). Build without the switch elsewhere."
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <x86intrin.h>
#define THAG__HAVE_TSC 1
#else
#define THAG__HAVE_TSC 0
#endif

#if !defined(MAP_ANONYMOUS) || !defined(CLOCK_MONOTONIC) || !defined(O_CLOEXEC)
#error "thag_profiler: the implementation needs POSIX: include thag_profiler.h first in the file that defines THAG_PROFILER_IMPLEMENTATION, or compile that file with -D_GNU_SOURCE (or -std=gnu11)"
#endif
#ifndef __cplusplus
/* GNU extensions, declared here for builds without _GNU_SOURCE. */
extern int pthread_getname_np(pthread_t thread, char *name, size_t len);
extern char *program_invocation_short_name;
#endif

#ifndef THAG_ASSERT
#include <assert.h>
#define THAG_ASSERT(x) assert(x)
#endif

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#define STB_SPRINTF_IMPLEMENTATION
#define STB_SPRINTF_STATIC
#define STB_SPRINTF_NOFLOAT
#define STB_SPRINTF_NOUNALIGNED /* sanitizer-clean */
#define STB_SPRINTF_DECORATE(name) thag__stbsp_##name
#include <stb/stb_sprintf.h>
#pragma GCC diagnostic pop

/* The library never profiles itself (-finstrument-functions builds). */
#define THAG__FN static __attribute__((no_instrument_function))
#define THAG__PUB __attribute__((no_instrument_function, unused))
#define THAG__LIKELY(x) __builtin_expect(!!(x), 1)
#define THAG__UNLIKELY(x) __builtin_expect(!!(x), 0)
#define THAG__LOAD(p) __atomic_load_n(&(p), __ATOMIC_RELAXED)
#define THAG__STORE(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELAXED)
#define THAG__ADD(p, v) THAG__STORE(p, (p) + (v)) /* single writer */
#define THAG__TLS __thread __attribute__((tls_model("initial-exec")))

#ifdef __cplusplus
extern "C" {
#endif

/* >>clock: ticks on the hot path, converted to ns at output with a ratio
   measured over the whole run, so calibration costs nothing at startup. */
static int thag__use_tsc;

THAG__FN uint64_t thag__mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline __attribute__((always_inline, no_instrument_function)) uint64_t thag__ticks(void) {
#if THAG__HAVE_TSC
    if (THAG__LIKELY(thag__use_tsc)) return __rdtsc();
#endif
    return thag__mono_ns();
}

THAG__FN int thag__tsc_invariant(void) {
#if THAG__HAVE_TSC
    unsigned a, b, c, d;
    if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u) return 0;
    __get_cpuid(0x80000007u, &a, &b, &c, &d);
    return (d >> 8) & 1u;
#else
    return 0;
#endif
}

typedef struct thag__calib { uint64_t tick0, ns0; double ns_per_tick; } thag__calib;
static thag__calib thag__clock;

THAG__FN void thag__clock_start(void) {
    thag__clock.ns0 = thag__mono_ns();
    thag__clock.tick0 = thag__ticks();
    thag__clock.ns_per_tick = 1.0;
}

/* Measures the tick rate against CLOCK_MONOTONIC since the start; when the
   run is too short for a precise ratio, spins until 20 ms have passed. */
THAG__FN void thag__clock_calibrate(void) {
    uint64_t ns, tk;
    if (!thag__use_tsc) { thag__clock.ns_per_tick = 1.0; return; }
    do {
        ns = thag__mono_ns();
        tk = thag__ticks();
    } while (ns - thag__clock.ns0 < 20000000u);
    if (tk > thag__clock.tick0)
        thag__clock.ns_per_tick = (double)(ns - thag__clock.ns0) / (double)(tk - thag__clock.tick0);
}

THAG__FN uint64_t thag__to_ns(uint64_t ticks) {
    return (uint64_t)((double)ticks * thag__clock.ns_per_tick + 0.5);
}

/* >>pmem: the profiler's own memory comes from mmap, never from malloc, so
   it cannot disturb or be seen by a memory profile. */
THAG__FN void *thag__pmap(size_t size) {
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

typedef struct thag__arena { char *cur, *end; size_t chunk; } thag__arena;

THAG__FN void *thag__arena_alloc(thag__arena *a, size_t size) {
    size = (size + 15u) & ~(size_t)15u;
    if ((size_t)(a->end - a->cur) < size) {
        size_t n = a->chunk > size ? a->chunk : size;
        char *p = (char *)thag__pmap(n);
        if (!p) return NULL;
        a->cur = p;
        a->end = p + n;
    }
    a->cur += size;
    return a->cur - size;
}

/* >>state */
typedef struct thag__node {
    const thag_site *site;
    struct thag__node *parent, *child, *sibling;
    struct thag__node *hot;   /* last child found: loops hit it first */
    struct thag__onode *out;  /* its node in the merged output tree */
    uint64_t calls, incl, excl; /* ticks; written by the owner thread only */
    uint64_t pend_incl, pend_excl; /* open-scope time during a snapshot */
} thag__node;

typedef struct thag__frame {
    thag__node *node;
    uint64_t start;
    uintptr_t fa;    /* frame address of the function that entered it */
    uintptr_t ra;    /* and its return address: which activation it is */
    const thag_scope *guard; /* the guard variable */
    uint32_t serial;
    uint32_t live;   /* 0: ended out of order, waiting for the frames above */
} thag__frame;

typedef struct thag__event { uint64_t ticks; thag__node *node; } thag__event;

typedef struct thag__evchunk {
    struct thag__evchunk *next;
    uint32_t count;
    thag__event ev[1];
} thag__evchunk;

typedef struct thag__thread {
    /* hot: used on every enter and exit */
    thag__frame *stack;
    uint32_t sp, cap, serial, pad;
    uint64_t last;            /* ticks of the last event */
    thag__node *cur;          /* node of the top live frame, or &root */
    thag__event *ev, *ev_end; /* timeline write position */
    /* cold */
    thag__node root;
    thag__arena arena;
    thag__evchunk *ev_first, *ev_last;
    uint64_t ev_total;
    int ev_truncated;
    int is_main, index, exited;
    char label[64];
    struct thag__thread *next;
} thag__thread;

enum { THAG__DBG_NONE, THAG__DBG_QUIET, THAG__DBG_ANNOUNCE };

typedef struct thag__global {
    pthread_mutex_t lock;
    int active;               /* atomic: scopes are recorded */
    int configured;
    int final_written;        /* atomic */
    int forked_child;
    thag_profile_type type;
    int debug;
    int merge_threads;
    uint64_t timeline_max;
    char dir[PATH_MAX];
    char program[128];
    char stamp[32];
    int log_fd;
    thag__thread *threads;
    int nthreads;
    pthread_key_t key;
    int notice_memory;
} thag__global;

static thag__global thag__g = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, THAG_TYPE_NONE, 0, 0,
                               1000000u, {0}, {0}, {0}, -1, NULL, 0, 0, 0};
static THAG__TLS thag__thread *thag__self;

/* >>log: one formatter (stb_sprintf, no malloc, no locale) for messages. */
THAG__FN void thag__fd_write(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        p += w;
        n -= (size_t)w;
    }
}

/* Writes "thag_profiler: <msg>\n" to fd (stderr: 2, or the debug log). */
THAG__FN void thag__vsay(int fd, const char *fmt, va_list ap) {
    char buf[1024];
    int n = thag__stbsp_snprintf(buf, (int)sizeof buf - 1, "thag_profiler: ");
    n += thag__stbsp_vsnprintf(buf + n, (int)sizeof buf - 1 - n, fmt, ap);
    if (n > (int)sizeof buf - 2) n = (int)sizeof buf - 2;
    buf[n++] = '\n';
    thag__fd_write(fd, buf, (size_t)n);
}

__attribute__((format(printf, 1, 2))) THAG__FN void thag__error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    thag__vsay(2, fmt, ap);
    va_end(ap);
    if (thag__g.log_fd >= 0) {
        va_start(ap, fmt);
        thag__vsay(thag__g.log_fd, fmt, ap);
        va_end(ap);
    }
}

__attribute__((format(printf, 1, 2))) THAG__FN void thag__debug(const char *fmt, ...) {
    va_list ap;
    if (thag__g.log_fd < 0) return;
    va_start(ap, fmt);
    thag__vsay(thag__g.log_fd, fmt, ap);
    va_end(ap);
}

/* >>config: THAG_PROFILER and friends. Parsers return 0 on success or fill
   *why with the reason. */
THAG__FN int thag__ieq(const char *a, size_t n, const char *b) {
    size_t i;
    for (i = 0; i < n; i++) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (!b[i] || c != b[i]) return 0;
    }
    return b[n] == 0;
}

THAG__FN size_t thag__trim(const char **s, size_t n) {
    while (n && (**s == ' ' || **s == '\t')) { (*s)++; n--; }
    while (n && ((*s)[n - 1] == ' ' || (*s)[n - 1] == '\t')) n--;
    return n;
}

typedef struct thag__config {
    int has_type;
    thag_profile_type type;
    char dir[PATH_MAX];
    int debug;
    int detail;
} thag__config;

THAG__FN int thag__parse_field(thag__config *c, int idx, const char *s, size_t n, const char **why) {
    n = thag__trim(&s, n);
    if (n == 0) return 0;
    if (idx == 0) {
        static const char *types[] = {"none", "time", "memory", "both"};
        int i;
        for (i = 0; i < 4; i++)
            if (thag__ieq(s, n, types[i])) { c->type = (thag_profile_type)i; c->has_type = 1; return 0; }
        *why = "unknown profile type";
    } else if (idx == 1) {
        if (n >= sizeof c->dir) { *why = "directory too long"; return -1; }
        memcpy(c->dir, s, n);
        c->dir[n] = 0;
        return 0;
    } else if (idx == 2) {
        if (thag__ieq(s, n, "none")) { c->debug = THAG__DBG_NONE; return 0; }
        if (thag__ieq(s, n, "quiet")) { c->debug = THAG__DBG_QUIET; return 0; }
        if (thag__ieq(s, n, "announce")) { c->debug = THAG__DBG_ANNOUNCE; return 0; }
        *why = "unknown debug level";
    } else if (idx == 3) {
        if (thag__ieq(s, n, "true")) { c->detail = 1; return 0; }
        if (thag__ieq(s, n, "false")) { c->detail = 0; return 0; }
        *why = "detail must be true or false";
    } else {
        *why = "too many fields";
    }
    return -1;
}

/* Parses THAG_PROFILER's value. Returns 0, or -1 with *why set. */
THAG__FN int thag__parse_env(const char *v, thag__config *c, const char **why) {
    int idx = 0;
    memset(c, 0, sizeof *c);
    for (;;) {
        const char *comma = strchr(v, ',');
        size_t n = comma ? (size_t)(comma - v) : strlen(v);
        if (thag__parse_field(c, idx, v, n, why)) return -1;
        if (!comma) return 0;
        v = comma + 1;
        idx++;
    }
}

/* A boolean environment variable: 1/0, or def when unset or malformed. */
THAG__FN int thag__env_bool(const char *name, int def) {
    const char *v = getenv(name);
    size_t n;
    if (!v) return def;
    n = thag__trim(&v, strlen(v));
    if (thag__ieq(v, n, "true") || thag__ieq(v, n, "yes") || thag__ieq(v, n, "1")) return 1;
    if (thag__ieq(v, n, "false") || thag__ieq(v, n, "no") || thag__ieq(v, n, "0") || !n) return 0;
    thag__error("%s=\"%s\" is not a boolean (accepted: true|false|yes|no|1|0); using %s",
                name, v, def ? "true" : "false");
    return def;
}

THAG__FN uint64_t thag__env_count(const char *name, uint64_t def) {
    const char *v = getenv(name);
    char *end;
    unsigned long long x;
    if (!v || !*v) return def;
    errno = 0;
    x = strtoull(v, &end, 10);
    if (errno || *end || *v == '-' || *v == ' ') {
        thag__error("%s=\"%s\" is not a non-negative integer; using %llu", name, v,
                    (unsigned long long)def);
        return def;
    }
    return (uint64_t)x;
}

THAG__FN void thag__choose_clock(void) {
    const char *v = getenv("THAG_CLOCK");
    size_t n = v ? strlen(v) : 0;
    int inv = thag__tsc_invariant();
    thag__use_tsc = inv;
    if (!v || !n || thag__ieq(v, n, "auto")) return;
    if (thag__ieq(v, n, "monotonic")) { thag__use_tsc = 0; return; }
    if (thag__ieq(v, n, "tsc")) {
        if (!inv) thag__error("THAG_CLOCK=tsc: this CPU has no invariant TSC; using monotonic");
        return;
    }
    thag__error("THAG_CLOCK=\"%s\" is not one of auto|tsc|monotonic; using auto", v);
}

/* >>threads: each thread owns its state; the global list is locked only
   when a thread first enters a scope and when output is written. */
THAG__FN void thag__thread_name(thag__thread *t) {
    char name[64] = {0};
    if (pthread_getname_np(pthread_self(), name, sizeof name) != 0) name[0] = 0;
    /* An unnamed thread inherits the program's name: no information. */
    if (name[0] && strncmp(name, thag__g.program, 15) != 0 && !t->is_main)
        thag__stbsp_snprintf(t->label, (int)sizeof t->label, "%s", name);
}

THAG__FN void thag__thread_exit(void *arg) {
    thag__thread *t = (thag__thread *)arg;
    if (!t) return;
    if (!t->label[0] || strncmp(t->label, "thread-", 7) == 0) thag__thread_name(t);
    THAG__STORE(t->exited, 1);
}

THAG__FN thag__thread *thag__attach(void) {
    thag__thread *t = (thag__thread *)thag__pmap(sizeof(thag__thread));
    if (!t) return NULL;
    t->cap = 256;
    t->stack = (thag__frame *)thag__pmap(t->cap * sizeof(thag__frame));
    if (!t->stack) { munmap(t, sizeof *t); return NULL; }
    t->cur = &t->root;
    t->arena.chunk = 64 * 1024;
    t->is_main = (pid_t)syscall(SYS_gettid) == getpid();
    pthread_mutex_lock(&thag__g.lock);
    t->index = thag__g.nthreads++;
    t->next = thag__g.threads;
    thag__g.threads = t;
    pthread_mutex_unlock(&thag__g.lock);
    thag__stbsp_snprintf(t->label, (int)sizeof t->label, "thread-%d", t->index);
    thag__thread_name(t);
    pthread_setspecific(thag__g.key, t);
    thag__self = t;
    return t;
}

/* >>timeline: a bounded, chunked log of "from now on this node is on top". */
THAG__FN void thag__ev_grow(thag__thread *t, uint64_t ticks, thag__node *n) {
    uint64_t left, cnt;
    thag__evchunk *c;
    if (t->ev_truncated || !thag__g.timeline_max) return;
    left = thag__g.timeline_max - t->ev_total;
    if (!left) { THAG__STORE(t->ev_truncated, 1); return; }
    cnt = left < 65536u ? left : 65536u;
    c = (thag__evchunk *)thag__pmap(sizeof(thag__evchunk) + cnt * sizeof(thag__event));
    if (!c) { THAG__STORE(t->ev_truncated, 1); return; }
    c->count = (uint32_t)cnt;
    t->ev_total += cnt;
    c->ev[0].ticks = ticks;
    c->ev[0].node = n;
    t->ev_end = c->ev + cnt;
    /* Link before publishing the position: a reader follows the links. */
    if (t->ev_last) __atomic_store_n(&t->ev_last->next, c, __ATOMIC_RELEASE);
    else __atomic_store_n(&t->ev_first, c, __ATOMIC_RELEASE);
    t->ev_last = c;
    __atomic_store_n(&t->ev, c->ev + 1, __ATOMIC_RELEASE);
}

static inline __attribute__((always_inline, no_instrument_function)) void
thag__ev_put(thag__thread *t, uint64_t ticks, thag__node *n) {
    thag__event *e = t->ev;
    if (THAG__UNLIKELY(e == t->ev_end)) { thag__ev_grow(t, ticks, n); return; }
    e->ticks = ticks;
    e->node = n;
    __atomic_store_n(&t->ev, e + 1, __ATOMIC_RELEASE);
}

/* >>calltree: a calling-context tree per thread; a child is found from its
   parent by the call site's address. */
THAG__FN thag__node *thag__find_child(thag__thread *t, thag__node *p, const thag_site *s) {
    thag__node *c;
    for (c = p->child; c; c = c->sibling)
        if (c->site == s) { p->hot = c; return c; }
    c = (thag__node *)thag__arena_alloc(&t->arena, sizeof(thag__node));
    if (!c) return NULL;
    c->site = s;
    c->parent = p;
    c->sibling = p->child;
    __atomic_store_n(&p->child, c, __ATOMIC_RELEASE);
    p->hot = c;
    return c;
}

THAG__FN int thag__grow_stack(thag__thread *t) {
    uint32_t cap = t->cap * 2;
    thag__frame *s = (thag__frame *)thag__pmap(cap * sizeof(thag__frame));
    if (!s) return -1;
    memcpy(s, t->stack, t->sp * sizeof(thag__frame));
    munmap(t->stack, t->cap * sizeof(thag__frame));
    t->stack = s;
    t->cap = cap;
    return 0;
}

/* Drops frames ended out of order from the top and finds the current node. */
static inline __attribute__((always_inline, no_instrument_function)) void thag__settle(thag__thread *t) {
    while (t->sp && !t->stack[t->sp - 1].live) t->sp--;
    t->cur = t->sp ? t->stack[t->sp - 1].node : &t->root;
}

/* Pops frames above `keep` whose C scopes are gone (longjmp): they end at
   the last event seen, the best estimate of when they were left. */
THAG__FN void thag__pop_stale(thag__thread *t, uint32_t keep) {
    while (t->sp > keep) {
        thag__frame *f = &t->stack[--t->sp];
        if (f->live) THAG__ADD(f->node->incl, t->last - f->start);
    }
    thag__settle(t);
}

/* After a longjmp, frames of functions that were jumped over stay on the
   stack. A frame is dead when its function is deeper than the one entering
   now (lower frame address: stacks grow down); or at the same frame address
   but another activation (another return address: a sibling call that
   was left); or when the same guard variable enters again (a scope cannot
   be open twice). Sections of the live activation and inlined callees,
   recursive ones too, share its frame and return addresses but not its
   guard variables. */
static inline __attribute__((always_inline, no_instrument_function)) int
thag__dead(const thag__frame *f, uintptr_t fa, uintptr_t ra, const thag_scope *guard) {
    return f->fa < fa || (f->fa == fa && (f->ra != ra || f->guard == guard));
}

THAG__PUB thag_scope thag__enter(const thag_site *site, void *frame, void *ret, thag_scope *self) {
    thag_scope g = {0, 0};
    thag__thread *t;
    thag__node *n;
    thag__frame *f;
    uint64_t now;
    uintptr_t fa = (uintptr_t)frame, ra = (uintptr_t)ret;
    if (!THAG__LOAD(thag__g.active)) return g;
    t = thag__self;
    if (THAG__UNLIKELY(!t) && !(t = thag__attach())) return g;
    now = thag__ticks();
    while (t->sp && THAG__UNLIKELY(thag__dead(&t->stack[t->sp - 1], fa, ra, self)))
        thag__pop_stale(t, t->sp - 1);
    if (t->sp) THAG__ADD(t->cur->excl, now - t->last);
    t->last = now;
    if (THAG__UNLIKELY(t->sp == t->cap) && thag__grow_stack(t)) return g;
    n = t->cur->hot;
    if (THAG__UNLIKELY(!n || n->site != site) && !(n = thag__find_child(t, t->cur, site))) return g;
    f = &t->stack[t->sp];
    f->node = n;
    f->start = now;
    f->fa = fa;
    f->ra = ra;
    f->guard = self;
    f->serial = ++t->serial ? t->serial : ++t->serial;
    f->live = 1;
    g.depth = t->sp++;
    g.serial = f->serial;
    t->cur = n;
    THAG__ADD(n->calls, 1);
    thag__ev_put(t, now, n);
    return g;
}

/* The guard's frame, or NULL when it is no longer on the stack. */
static inline __attribute__((always_inline, no_instrument_function)) thag__frame *
thag__frame_of(thag__thread *t, const thag_scope *g) {
    if (!g->serial || !t || g->depth >= t->sp || t->stack[g->depth].serial != g->serial) return NULL;
    return &t->stack[g->depth];
}

THAG__PUB void thag__leave(thag_scope *g) {
    thag__thread *t = thag__self;
    thag__frame *f = thag__frame_of(t, g);
    uint64_t now;
    if (!f) return;
    now = thag__ticks();
    if (t->sp > g->depth + 1) thag__pop_stale(t, g->depth + 1);
    THAG__ADD(t->cur->excl, now - t->last);
    t->last = now;
    THAG__ADD(f->node->incl, now - f->start);
    t->sp = g->depth;
    thag__settle(t);
    thag__ev_put(t, now, t->sp ? t->cur : NULL);
    g->serial = 0;
}

/* THAG_END: a section ended while sections opened after it are still open
   keeps its own time and leaves them where they are. */
THAG__PUB void thag__end(thag_scope *g) {
    thag__thread *t = thag__self;
    thag__frame *f = thag__frame_of(t, g);
    uint64_t now;
    if (!f) return;
    /* Frames of functions deeper than this one are gone (longjmp). */
    while (t->sp > g->depth + 1 && thag__dead(&t->stack[t->sp - 1], f->fa, f->ra, NULL))
        thag__pop_stale(t, t->sp - 1);
    if (t->sp == g->depth + 1) { thag__leave(g); return; }
    now = thag__ticks();
    THAG__ADD(t->cur->excl, now - t->last);
    t->last = now;
    THAG__ADD(f->node->incl, now - f->start);
    f->live = 0;
    g->serial = 0;
}

/* >>output: the threads' trees are merged by frame name into one output
   tree, then written in one depth-first walk to the aggregated files. */
typedef struct thag__onode {
    const char *name;
    struct thag__onode *parent, *child, *sibling;
    uint64_t calls, incl, excl; /* ticks, calls */
    size_t plen;                /* length of the path up to this frame */
} thag__onode;

typedef struct thag__obuf {
    char *cur, *end;
    char *chunks[1024]; /* mmap'd chunks, unmapped after writing */
    size_t lens[1024];
    int nchunks;
} thag__obuf;

THAG__FN void *thag__oalloc(thag__obuf *o, size_t size) {
    size = (size + 15u) & ~(size_t)15u;
    if ((size_t)(o->end - o->cur) < size) {
        size_t n = size > ((size_t)1 << 20) ? size : ((size_t)1 << 20);
        char *p;
        if (o->nchunks == 1024 || !(p = (char *)thag__pmap(n))) return NULL;
        o->chunks[o->nchunks] = p;
        o->lens[o->nchunks++] = n;
        o->cur = p;
        o->end = p + n;
    }
    o->cur += size;
    return o->cur - size;
}

THAG__FN void thag__ofree(thag__obuf *o) {
    int i;
    for (i = 0; i < o->nchunks; i++) munmap(o->chunks[i], o->lens[i]);
    o->nchunks = 0;
}

THAG__FN thag__onode *thag__ochild(thag__obuf *o, thag__onode *p, const char *name) {
    thag__onode *c;
    for (c = p->child; c; c = c->sibling)
        if (strcmp(c->name, name) == 0) return c;
    c = (thag__onode *)thag__oalloc(o, sizeof(thag__onode));
    if (!c) return NULL;
    c->name = name;
    c->parent = p;
    c->sibling = p->child;
    p->child = c;
    return c;
}

/* Pre-order walk of a thread's tree with the parent links (no recursion:
   recursive programs make deep trees). */
THAG__FN thag__node *thag__next_node(thag__node *n, const thag__node *root) {
    thag__node *c = __atomic_load_n(&n->child, __ATOMIC_ACQUIRE);
    if (c) return c;
    while (n != root) {
        if (n->sibling) return n->sibling;
        n = n->parent;
    }
    return NULL;
}

THAG__FN int thag__merge_thread(thag__obuf *o, thag__onode *root, thag__thread *t) {
    thag__onode *base = root;
    thag__node *n;
    if (!t->is_main && !thag__g.merge_threads && !(base = thag__ochild(o, root, t->label))) return -1;
    t->root.out = base;
    for (n = thag__next_node(&t->root, &t->root); n; n = thag__next_node(n, &t->root)) {
        thag__onode *on = thag__ochild(o, n->parent->out, n->site->name);
        if (!on) return -1;
        n->out = on;
        on->calls += THAG__LOAD(n->calls);
        on->incl += THAG__LOAD(n->incl) + n->pend_incl;
        on->excl += THAG__LOAD(n->excl) + n->pend_excl;
        n->pend_incl = n->pend_excl = 0;
    }
    return 0;
}

/* Counts the calling thread's open scopes up to now (a snapshot). */
THAG__FN void thag__pend_open(thag__thread *t, uint64_t now) {
    uint32_t i;
    if (!t || !t->sp) return;
    for (i = 0; i < t->sp; i++)
        if (t->stack[i].live) t->stack[i].node->pend_incl += now - t->stack[i].start;
    t->cur->pend_excl += now - t->last;
}

/* Buffered file writer: writes to <path>.tmp, renamed into place only
   when everything was written, so a full disk never leaves half a file. */
typedef struct thag__writer {
    int fd, err;
    size_t n;
    char path[PATH_MAX + 32];
    char buf[1 << 16];
} thag__writer;

THAG__FN void thag__wflush(thag__writer *w) {
    size_t off = 0;
    while (off < w->n && !w->err) {
        ssize_t k = write(w->fd, w->buf + off, w->n - off);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) w->err = k < 0 ? errno : ENOSPC;
        else off += (size_t)k;
    }
    w->n = 0;
}

THAG__FN void thag__wput(thag__writer *w, const char *s, size_t n) {
    while (n) {
        size_t k = sizeof w->buf - w->n;
        if (k > n) k = n;
        memcpy(w->buf + w->n, s, k);
        w->n += k;
        s += k;
        n -= k;
        if (w->n == sizeof w->buf) thag__wflush(w);
    }
}

__attribute__((format(printf, 2, 3))) THAG__FN void thag__wprintf(thag__writer *w, const char *fmt, ...) {
    char tmp[512];
    int n;
    va_list ap;
    va_start(ap, fmt);
    n = thag__stbsp_vsnprintf(tmp, (int)sizeof tmp, fmt, ap);
    va_end(ap);
    thag__wput(w, tmp, (size_t)(n < (int)sizeof tmp ? n : (int)sizeof tmp - 1));
}

THAG__FN int thag__wopen(thag__writer *w, const char *kind) {
    char tmp[PATH_MAX + 40];
    w->n = 0;
    w->err = 0;
    thag__stbsp_snprintf(w->path, (int)sizeof w->path, "%s/%s-%s%s%s.folded", thag__g.dir,
                         thag__g.program, thag__g.stamp, kind[0] ? "-" : "", kind);
    thag__stbsp_snprintf(tmp, (int)sizeof tmp, "%s.tmp", w->path);
    w->fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        thag__error("cannot create %s: %s; this profile is not written", tmp, strerror(errno));
        return -1;
    }
    return 0;
}

/* Closes and renames into place; 0 on success. */
THAG__FN int thag__wclose(thag__writer *w) {
    char tmp[PATH_MAX + 40];
    thag__stbsp_snprintf(tmp, (int)sizeof tmp, "%s.tmp", w->path);
    thag__wflush(w);
    if (close(w->fd) != 0 && !w->err) w->err = errno;
    if (!w->err && rename(tmp, w->path) != 0) w->err = errno;
    if (w->err) {
        thag__error("cannot write %s: %s; this profile is not written", w->path, strerror(w->err));
        unlink(tmp);
        return -1;
    }
    thag__debug("wrote %s", w->path);
    return 0;
}

THAG__FN void thag__meta(thag__writer *w, const char *kind, const char *extra, const char *unit) {
    thag__wprintf(w, "# thag_profiler " THAG_PROFILER_VERSION_STRING ": kind=%s program=%s started=%s pid=%d "
                  "clock=%s threads=%s%s unit=%s\n", kind, thag__g.program, thag__g.stamp, (int)getpid(),
                  thag__use_tsc ? "tsc" : "monotonic", thag__g.merge_threads ? "merged" : "separate",
                  extra, unit);
}

/* Appends a frame name to the path, replacing the bytes that would break
   the folded format (';' separates frames, newlines end lines). */
THAG__FN int thag__path_add(char **path, size_t *cap, size_t len, const char *name) {
    size_t n = strlen(name), i;
    if (len + n + 2 > *cap) {
        size_t ncap = (*cap ? *cap : 4096);
        char *p;
        while (len + n + 2 > ncap) ncap *= 2;
        if (!(p = (char *)thag__pmap(ncap))) return -1;
        if (*path) { memcpy(p, *path, len); munmap(*path, *cap); }
        *path = p;
        *cap = ncap;
    }
    if (len) (*path)[len++] = ';';
    for (i = 0; i < n; i++) {
        char c = name[i];
        (*path)[len + i] = (c == ';' || c == '\n' || c == '\r') ? '_' : c;
    }
    return (int)(len + n);
}

THAG__FN int thag__cmp_onode(const void *a, const void *b) {
    return strcmp((*(thag__onode *const *)a)->name, (*(thag__onode *const *)b)->name);
}

/* Sorts a node's children by name, so the output is deterministic. */
THAG__FN void thag__sort_children(thag__obuf *o, thag__onode *p) {
    thag__onode *c, **v;
    size_t n = 0, i;
    for (c = p->child; c; c = c->sibling) n++;
    if (n < 2 || !(v = (thag__onode **)thag__oalloc(o, n * sizeof *v))) return;
    for (i = 0, c = p->child; c; c = c->sibling) v[i++] = c;
    qsort(v, n, sizeof *v, thag__cmp_onode);
    for (i = 0; i + 1 < n; i++) v[i]->sibling = v[i + 1];
    v[n - 1]->sibling = NULL;
    p->child = v[0];
}

typedef struct thag__path { char *p; size_t cap; } thag__path;

THAG__FN void thag__write_line(thag__writer *w, const thag__path *path, size_t len, uint64_t v) {
    char num[32];
    int k = thag__stbsp_snprintf(num, (int)sizeof num, " %llu\n", (unsigned long long)v);
    thag__wput(w, path->p, len);
    thag__wput(w, num, (size_t)k);
}

/* Writes the exclusive, inclusive and calls files in one walk. */
THAG__FN int thag__write_tree(thag__obuf *o, thag__onode *root, thag__writer w[3]) {
    thag__path path = {NULL, 0};
    thag__onode *n = root;
    int len;
    thag__sort_children(o, root);
    n = root->child;
    while (n) {
        thag__sort_children(o, n);
        if ((len = thag__path_add(&path.p, &path.cap, n->parent->plen, n->name)) < 0) return -1;
        n->plen = (size_t)len;
        if (thag__to_ns(n->excl)) thag__write_line(&w[0], &path, n->plen, thag__to_ns(n->excl));
        if (n->calls) thag__write_line(&w[1], &path, n->plen, thag__to_ns(n->incl));
        if (n->calls) thag__write_line(&w[2], &path, n->plen, n->calls);
        if (n->child) { n = n->child; continue; }
        while (n && !n->sibling) n = n->parent == root ? NULL : n->parent;
        if (n) n = n->sibling;
    }
    if (path.p) munmap(path.p, path.cap);
    return 0;
}

/* The path of an output node, built once and kept in the output arena. */
typedef struct thag__opath { thag__onode *node; char *path; size_t len; } thag__opath;

THAG__FN const char *thag__onode_path(thag__obuf *o, thag__onode *n, size_t *len) {
    size_t total = 0, pos;
    thag__onode *m;
    char *p;
    for (m = n; m->parent; m = m->parent) total += strlen(m->name) + 1;
    if (!(p = (char *)thag__oalloc(o, total + 1))) return NULL;
    pos = total - 1;
    p[pos] = 0;
    for (m = n; m->parent; m = m->parent) {
        size_t k = strlen(m->name), i;
        pos -= k;
        for (i = 0; i < k; i++) {
            char c = m->name[i];
            p[pos + i] = (c == ';' || c == '\n' || c == '\r') ? '_' : c;
        }
        if (pos) p[--pos] = ';';
    }
    *len = total - 1;
    return p;
}

typedef struct thag__tl {
    thag__onode *node;
    const char *path;
    size_t len;
    uint64_t acc;
} thag__tl;

THAG__FN void thag__tl_emit(thag__writer *w, thag__obuf *o, thag__tl *s) {
    uint64_t ns = thag__to_ns(s->acc);
    char num[32];
    int k;
    if (s->node && ns) {
        if (!s->path) s->path = thag__onode_path(o, s->node, &s->len);
        if (s->path) {
            thag__wput(w, s->path, s->len);
            k = thag__stbsp_snprintf(num, (int)sizeof num, " %llu\n", (unsigned long long)ns);
            thag__wput(w, num, (size_t)k);
        }
    }
    s->node = NULL;
    s->path = NULL;
    s->acc = 0;
}

/* One thread's timeline, up to the position `upto` read before the merge
   (events after it may name nodes the merge has not seen). */
THAG__FN void thag__write_timeline(thag__writer *w, thag__obuf *o, thag__thread *t,
                                   const thag__event *upto, uint64_t now, int self) {
    thag__evchunk *c = __atomic_load_n(&t->ev_first, __ATOMIC_ACQUIRE);
    const thag__event *prev = NULL;
    thag__tl s = {NULL, NULL, 0, 0};
    for (; c; c = __atomic_load_n(&c->next, __ATOMIC_ACQUIRE)) {
        const thag__event *e = c->ev, *end = c->ev + c->count;
        int last = upto >= c->ev && upto <= end;
        if (last) end = upto;
        for (; e < end; e++) {
            if (prev) {
                thag__onode *on = prev->node ? prev->node->out : NULL;
                if (on != s.node) thag__tl_emit(w, o, &s);
                s.node = on;
                s.acc += e->ticks - prev->ticks;
            }
            prev = e;
        }
        if (last) break;
    }
    if (prev && self && prev->node && !THAG__LOAD(t->ev_truncated)) {
        if (prev->node->out != s.node) thag__tl_emit(w, o, &s);
        s.node = prev->node->out;
        s.acc += now - prev->ticks;
    }
    thag__tl_emit(w, o, &s);
}

/* >>write: everything, under the global lock. */
THAG__FN int thag__mkdirs(const char *dir) {
    char p[PATH_MAX];
    size_t i, n = strlen(dir);
    if (n >= sizeof p) return ENAMETOOLONG;
    memcpy(p, dir, n + 1);
    for (i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != 0) continue;
        p[i] = 0;
        if (mkdir(p, 0755) != 0 && errno != EEXIST) return errno;
        p[i] = dir[i];
    }
    return 0;
}

typedef struct thag__snap { thag__thread *t; const thag__event *upto; } thag__snap;

THAG__FN int thag__cmp_snap(const void *a, const void *b) {
    return ((const thag__snap *)a)->t->index - ((const thag__snap *)b)->t->index;
}

/* Snapshots the threads (timeline positions first), merges their trees. */
THAG__FN thag__snap *thag__collect(thag__obuf *o, thag__onode *root, int *count) {
    thag__snap *v = (thag__snap *)thag__oalloc(o, (size_t)thag__g.nthreads * sizeof *v + 16);
    thag__thread *t;
    int n = 0, i;
    if (!v) return NULL;
    for (t = thag__g.threads; t; t = t->next) {
        v[n].t = t;
        v[n++].upto = __atomic_load_n(&t->ev, __ATOMIC_ACQUIRE);
    }
    qsort(v, (size_t)n, sizeof *v, thag__cmp_snap);
    for (i = 0; i < n; i++)
        if (thag__merge_thread(o, root, v[i].t)) return NULL;
    *count = n;
    return v;
}

THAG__FN int thag__write_files(thag__obuf *o, thag__onode *root, thag__snap *v, int n, uint64_t now) {
    static const char *kinds[3] = {"", "inclusive", "calls"};
    static const char *metas[3] = {"time", "time_inclusive", "calls"};
    thag__writer *w = (thag__writer *)thag__oalloc(o, 4 * sizeof(thag__writer));
    int i, rc = 0, opened = 0;
    uint64_t events = 0;
    int truncated = 0;
    if (!w) return -1;
    for (i = 0; i < n; i++) {
        events += THAG__LOAD(v[i].t->ev_total);
        truncated |= THAG__LOAD(v[i].t->ev_truncated);
    }
    for (i = 0; i < 3; i++, opened++) {
        if (thag__wopen(&w[i], kinds[i])) { rc = -1; break; }
        thag__meta(&w[i], metas[i], "", i == 2 ? "calls" : "ns");
    }
    if (!rc) rc = thag__write_tree(o, root, w);
    for (i = 0; i < opened; i++) rc |= thag__wclose(&w[i]);
    if (rc || !thag__g.timeline_max) return rc;
    if (thag__wopen(&w[3], "timeline")) return -1;
    {
        char extra[96];
        thag__stbsp_snprintf(extra, (int)sizeof extra, " capacity=%llu truncated=%s",
                             (unsigned long long)events, truncated ? "yes" : "no");
        thag__meta(&w[3], "timeline", extra, "ns");
    }
    for (i = 0; i < n; i++)
        thag__write_timeline(&w[3], o, v[i].t, v[i].upto, now, v[i].t == thag__self);
    return thag__wclose(&w[3]);
}

THAG__FN thag_result thag__write_all(void) {
    thag__obuf o;
    thag__onode *root;
    thag__snap *v;
    int n = 0, err;
    uint64_t now = thag__ticks();
    thag_result r = THAG_OK;
    memset(&o, 0, sizeof o);
    if ((err = thag__mkdirs(thag__g.dir)) != 0) {
        thag__error("cannot create the output directory %s: %s; the profile is not written",
                    thag__g.dir, strerror(err));
        return THAG_ERR_IO;
    }
    thag__clock_calibrate();
    thag__pend_open(thag__self, now);
    if (!(root = (thag__onode *)thag__oalloc(&o, sizeof *root)) || !(v = thag__collect(&o, root, &n))) {
        thag__error("out of memory while writing the profile");
        r = THAG_ERR_NOMEM;
    } else if (thag__write_files(&o, root, v, n, now)) {
        r = THAG_ERR_IO;
    }
    thag__ofree(&o);
    return r;
}

/* >>api: configuration, enabling, flushing, exit. */
THAG__FN void thag__set_identity(void) {
    const char *p = program_invocation_short_name;
    time_t now = time(NULL);
    struct tm tm;
    size_t i;
    thag__stbsp_snprintf(thag__g.program, (int)sizeof thag__g.program, "%s", p && *p ? p : "program");
    for (i = 0; thag__g.program[i]; i++) {
        unsigned char c = (unsigned char)thag__g.program[i];
        if (c <= ' ' || c == '/' || c == ';' || c == 127) thag__g.program[i] = '_';
    }
    localtime_r(&now, &tm);
    thag__stbsp_snprintf(thag__g.stamp, (int)sizeof thag__g.stamp, "%04d%02d%02d-%02d%02d%02d",
                         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

THAG__FN void thag__open_log(int level) {
    char path[PATH_MAX];
    const char *tmp = getenv("TMPDIR");
    if (level == THAG__DBG_NONE) return;
    thag__stbsp_snprintf(path, (int)sizeof path, "%s/thag_profiler-%s-%s.log", tmp && *tmp ? tmp : "/tmp",
                         thag__g.program, thag__g.stamp);
    thag__g.log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (thag__g.log_fd < 0) {
        thag__error("cannot open the debug log %s: %s", path, strerror(errno));
        return;
    }
    if (level == THAG__DBG_ANNOUNCE) {
        char msg[PATH_MAX + 64];
        int n = thag__stbsp_snprintf(msg, (int)sizeof msg, "thag_profiler: debug log: %s\n", path);
        thag__fd_write(2, msg, (size_t)n);
    }
}

#define THAG__ENV_FORM "THAG_PROFILER=<time|memory|both|none>[,<dir>[,<none|quiet|announce>[,<true|false>]]] (case-insensitive; fields may be empty, e.g. memory,,,true)"

/* Reads THAG_PROFILER into c; 1 if set, 0 if unset, -1 if malformed. */
THAG__FN int thag__read_env(thag__config *c) {
    const char *v = getenv("THAG_PROFILER"), *why = "";
    memset(c, 0, sizeof *c);
    if (!v) return 0;
    if (thag__parse_env(v, c, &why) == 0) return 1;
    thag__error("THAG_PROFILER=\"%s\" is malformed (%s). Accepted: " THAG__ENV_FORM
                ". Profiling is off for this run.", v, why);
    return -1;
}

THAG__FN thag_profile_type thag__type_of(int option, const thag__config *c, int env) {
    thag_profile_type def = THAG__MEMORY ? THAG_TYPE_BOTH : THAG_TYPE_TIME;
    switch (option) {
    case THAG__OPT_yes: return def;
    case THAG__OPT_time: return THAG_TYPE_TIME;
    case THAG__OPT_memory: return THAG_TYPE_MEMORY;
    case THAG__OPT_both: return THAG_TYPE_BOTH;
    case THAG__OPT_runtime: return env != 1 ? THAG_TYPE_NONE : c->has_type ? c->type : def;
    default: return THAG_TYPE_NONE;
    }
}

THAG__FN void thag__atexit(void);
THAG__FN void thag__atfork_child(void) {
    /* The child would overwrite the parent's files: it is not profiled. */
    thag__g.forked_child = 1;
    THAG__STORE(thag__g.active, 0);
    pthread_mutex_init(&thag__g.lock, NULL);
}

THAG__FN void thag__set_type(thag_profile_type type) {
    thag__g.type = type;
    if ((type & THAG_TYPE_MEMORY) && !thag__g.notice_memory) {
        thag__g.notice_memory = 1;
        thag__error("memory profiling is not available in this version; %s",
                    (type & THAG_TYPE_TIME) ? "profiling time only" : "nothing is profiled");
    }
    THAG__STORE(thag__g.active, (type & THAG_TYPE_TIME) && !thag__g.forked_child ? 1 : 0);
}

/* First-time setup, under the lock. option: a THAG__OPT_ value, or -1 for
   a type given by thag_enable_profiling. */
THAG__FN void thag__configure(int option, thag_profile_type type) {
    thag__config c;
    int env;
    if (thag__g.configured) return;
    thag__g.configured = 1;
    thag__choose_clock();
    thag__clock_start();
    thag__set_identity();
    env = thag__read_env(&c);
    thag__stbsp_snprintf(thag__g.dir, (int)sizeof thag__g.dir, "%s", env == 1 && c.dir[0] ? c.dir : ".");
    thag__g.merge_threads = thag__env_bool("THAG_MERGE_THREADS", 0);
    thag__g.timeline_max = thag__env_count("THAG_TIMELINE_EVENTS", 1000000u);
    if (env == 1) thag__open_log(c.debug);
    pthread_key_create(&thag__g.key, thag__thread_exit);
    pthread_atfork(NULL, NULL, thag__atfork_child);
    atexit(thag__atexit);
    if (env < 0) type = THAG_TYPE_NONE;
    else if (option >= 0) type = thag__type_of(option, &c, env);
    thag__debug("version " THAG_PROFILER_VERSION_STRING ", program %s, type %d, dir %s, clock %s",
                thag__g.program, (int)type, thag__g.dir, thag__use_tsc ? "tsc" : "monotonic");
    thag__set_type(type);
}

/* Writes the final output exactly once (main returning, or exit()). */
THAG__FN void thag__final(void) {
    if (__atomic_exchange_n(&thag__g.final_written, 1, __ATOMIC_ACQ_REL)) return;
    pthread_mutex_lock(&thag__g.lock);
    THAG__STORE(thag__g.active, 0);
    if (thag__g.configured && !thag__g.forked_child && thag__g.threads) thag__write_all();
    pthread_mutex_unlock(&thag__g.lock);
}

THAG__FN void thag__atexit(void) { thag__final(); }

THAG__PUB void thag__enable_main(int option) {
    pthread_mutex_lock(&thag__g.lock);
    thag__configure(option, THAG_TYPE_NONE);
    pthread_mutex_unlock(&thag__g.lock);
}

THAG__PUB void thag__leave_main(thag_scope *g) {
    thag__leave(g);
    thag__final();
}

THAG__PUB thag_result thag_enable_profiling(int on, thag_profile_type type) {
    thag_result r = THAG_OK;
    pthread_mutex_lock(&thag__g.lock);
    if (!on) type = THAG_TYPE_NONE;
    if (!thag__g.configured) thag__configure(-1, type);
    else thag__set_type(type);
    if (on && thag__g.forked_child) r = THAG_ERR_CONFIG;
    pthread_mutex_unlock(&thag__g.lock);
    return r;
}

THAG__PUB thag_result thag_flush(void) {
    thag_result r = THAG_OK;
    pthread_mutex_lock(&thag__g.lock);
    if (thag__g.configured && !thag__g.forked_child && thag__g.threads) r = thag__write_all();
    pthread_mutex_unlock(&thag__g.lock);
    return r;
}

THAG__PUB int thag_is_profiling_enabled(void) { return THAG__LOAD(thag__g.active); }

THAG__PUB void thag_set_thread_name(const char *name) {
    thag__thread *t = thag__self;
    if (!t && THAG__LOAD(thag__g.active)) t = thag__attach();
    if (t && name) thag__stbsp_snprintf(t->label, (int)sizeof t->label, "%s", name);
}

THAG__PUB const char *thag_result_string(thag_result r) {
    switch (r) {
    case THAG_OK: return "ok";
    case THAG_ERR_DISABLED: return "thag_profiler is compiled out (no build switch)";
    case THAG_ERR_CONFIG: return "profiling is not available here (configuration or forked child)";
    case THAG_ERR_IO: return "an output file could not be written (see stderr)";
    case THAG_ERR_NOMEM: return "the profiler ran out of memory";
    }
    return "unknown result";
}

#ifdef __cplusplus
}
#endif

#endif /* THAG__ENABLED */
#endif /* THAG__IMPLEMENTATION_INCLUDED */
#endif /* THAG_PROFILER_IMPLEMENTATION */

/*
------------------------------------------------------------------------------
LICENSE TEXT (identical to the LICENSE file)

thag_profiler for C is dual-licensed: you may use it under the terms of
either the MIT License or the Apache License, Version 2.0, at your option.
SPDX-License-Identifier: MIT OR Apache-2.0

------------------------------------------------------------------------------
MIT License

Copyright (c) 2026 the thag_profiler for C authors

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.

------------------------------------------------------------------------------
Apache License 2.0

Copyright (c) 2026 the thag_profiler for C authors

Licensed under the Apache License, Version 2.0 (the "License"); you may not
use this software except in compliance with the License. You may obtain a copy
of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
License for the specific language governing permissions and limitations under
the License.
*/
