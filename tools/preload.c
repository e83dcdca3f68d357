/* preload.c - libthag_preload.so: thag_profiler's memory hooks as an
   LD_PRELOAD library, so an unmodified, dynamically linked program's heap
   is profiled. thag-run (tools/run.c) preloads it and reads the files.

   Build: cc -O2 -g -DTHAG_FULL_PROFILING -fPIC -shared -I. tools/preload.c \
              -o build/libthag_preload.so -lmimalloc -pthread

   What it adds to the header's implementation:
   - a start that turns memory profiling on (THAG_TYPE_MEMORY) at the first
     allocation, or in its constructor if nothing allocated before; the
     header reads THAG_PROFILER (directory, detail) at that first configure.
   - THAG_RUN_DIR=<dir>: each process writes into <dir>/<pid>/ (THAG_PROFILER's
     directory field is replaced before the configure, without allocating),
     so processes of the same program started in the same second (gcc's
     cc1, a shell's children) never overwrite each other's files.
   - _exit/_Exit write the profile first (in the process that configured,
     never in a vfork child); exec* write it before the image is replaced.
   - THAG_RUN_SIGNALS=1: SIGINT, SIGTERM, SIGHUP whose action is still the
     default write the profile, then die by the same signal (the header's
     THAG_SIGNALS mechanism, off by default here: a program run by thag-run
     gets its signals unchanged unless asked). */
#define THAG_PROFILER_IMPLEMENTATION
#define THAG__LAZY_START thag_pl_lazy /* from the first allocation on */
#define THAG__SIGNALS_OFF
#include "../thag_profiler.h"

#include <dlfcn.h>
#include <signal.h>

#if !THAG__MEMORY
#error "build tools/preload.c with -DTHAG_FULL_PROFILING"
#endif

static pid_t thag_pl_pid;        /* the process that configured */
static char thag_pl_env[PATH_MAX + 64];

/* Points THAG_PROFILER at <THAG_RUN_DIR>/<pid>, keeping its other fields,
   by replacing the environ entry with a static string (no malloc). */
static void thag_pl_set_dir(void) {
    extern char **environ;
    const char *run = getenv("THAG_RUN_DIR"), *cur = getenv("THAG_PROFILER");
    const char *rest = "", *c1;
    size_t i;
    if (!run || !*run || !environ) return;
    if (cur && (c1 = strchr(cur, ',')) != NULL) {
        const char *c2 = strchr(c1 + 1, ',');
        rest = c2 ? c2 : "";
    }
    thag__stbsp_snprintf(thag_pl_env, (int)sizeof thag_pl_env, "THAG_PROFILER=memory,%s/%d%s", run,
                         (int)getpid(), rest);
    for (i = 0; environ[i]; i++)
        if (strncmp(environ[i], "THAG_PROFILER=", 14) == 0) { environ[i] = thag_pl_env; return; }
}

/* Writes the profile now, once, if this is the process that configured. */
static void thag_pl_final(void) {
    if (thag_pl_pid && getpid() == thag_pl_pid) thag__final();
}

/* --signals: HUP, INT and TERM (bits of the header's thag__signames). */
static void thag_pl_signals(void) {
    if (thag__env_bool("THAG_RUN_SIGNALS", 0)) thag__signals_install((1u << 0) | (1u << 1) | (1u << 3));
}

/* Starts profiling, once: called by the first allocation (libraries'
   constructors may allocate before ours runs), or by the constructor.
   Not before libc has set environ: THAG_PROFILER and THAG_RUN_DIR are
   read here. */
__attribute__((constructor(101))) static void thag_pl_start(void) {
    extern char **environ;
    static int started;
    if (!environ || __atomic_exchange_n(&started, 1, __ATOMIC_ACQ_REL)) return;
    thag_pl_set_dir();
    thag_pl_pid = getpid();
    thag_enable_profiling(1, THAG_TYPE_MEMORY);
    /* Attach the main thread now: a program that allocates nothing still
       gets its (empty) profile, so "no files" always means a problem. */
    thag__mem_busy++;
    thag_set_thread_name(NULL);
    thag__mem_busy--;
    thag_pl_signals();
}

/* The start from inside an allocation: glibc may hold the lock of its exit
   or fork handler lists there, so those handlers are registered by the
   constructor, which always runs before main. */
static void thag_pl_lazy(void) {
    thag__g.defer_exit_hooks = 1;
    thag_pl_start();
}

__attribute__((constructor(102))) static void thag_pl_hooks(void) { thag__exit_hooks(); }

/* Programs that never return from main nor call exit(). */
__attribute__((destructor)) static void thag_pl_stop(void) { thag_pl_final(); }

void _exit(int status) {
    thag_pl_final();
    syscall(SYS_exit_group, status);
    for (;;) {}
}

void _Exit(int status) { _exit(status); }

/* exec replaces the image without running exit handlers: the profile so
   far is written first (a snapshot: if exec fails, the final write at exit
   replaces it). The new image, preloaded again, writes its own files in the
   same <pid> directory, named after its program. */
static void thag_pl_flush(void) {
    if (thag_pl_pid && getpid() == thag_pl_pid) thag_flush();
}

typedef int (*thag_pl_execve_fn)(const char *, char *const[], char *const[]);
typedef int (*thag_pl_execvpe_fn)(const char *, char *const[], char *const[]);
typedef int (*thag_pl_fexecve_fn)(int, char *const[], char *const[]);

static void *thag_pl_next(const char *name) {
    void *f = dlsym(RTLD_NEXT, name);
    if (!f) errno = ENOSYS;
    return f;
}

int execve(const char *path, char *const argv[], char *const envp[]) {
    thag_pl_execve_fn f = (thag_pl_execve_fn)thag_pl_next("execve");
    thag_pl_flush();
    return f ? f(path, argv, envp) : -1;
}

int execvpe(const char *file, char *const argv[], char *const envp[]) {
    thag_pl_execvpe_fn f = (thag_pl_execvpe_fn)thag_pl_next("execvpe");
    thag_pl_flush();
    return f ? f(file, argv, envp) : -1;
}

int fexecve(int fd, char *const argv[], char *const envp[]) {
    thag_pl_fexecve_fn f = (thag_pl_fexecve_fn)thag_pl_next("fexecve");
    thag_pl_flush();
    return f ? f(fd, argv, envp) : -1;
}

int execv(const char *path, char *const argv[]) {
    extern char **environ;
    return execve(path, argv, environ);
}

int execvp(const char *file, char *const argv[]) {
    extern char **environ;
    return execvpe(file, argv, environ);
}

/* The list forms: the arguments into an array on the stack, then the
   vector form. The caller's va_list is past `arg`; envp is read after the
   terminating NULL when with_env (execle), else it is environ. */
static int thag_pl_exec_list(const char *file, const char *arg, va_list *ap, int search, int with_env) {
    extern char **environ;
    va_list c;
    size_t n = 1, i;
    va_copy(c, *ap);
    while (va_arg(c, char *)) n++;
    va_end(c);
    {
        char *args[n + 1], **envp = environ;
        args[0] = (char *)arg;
        for (i = 1; i < n; i++) args[i] = va_arg(*ap, char *);
        args[n] = NULL;
        (void)va_arg(*ap, char *);
        if (with_env) envp = va_arg(*ap, char **);
        return search ? execvpe(file, args, envp) : execve(file, args, envp);
    }
}

int execl(const char *path, const char *arg, ...) {
    va_list ap;
    int r;
    va_start(ap, arg);
    r = thag_pl_exec_list(path, arg, &ap, 0, 0);
    va_end(ap);
    return r;
}

int execlp(const char *file, const char *arg, ...) {
    va_list ap;
    int r;
    va_start(ap, arg);
    r = thag_pl_exec_list(file, arg, &ap, 1, 0);
    va_end(ap);
    return r;
}

int execle(const char *path, const char *arg, ...) {
    va_list ap;
    int r;
    va_start(ap, arg);
    r = thag_pl_exec_list(path, arg, &ap, 0, 1);
    va_end(ap);
    return r;
}
