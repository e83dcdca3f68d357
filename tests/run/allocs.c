/* allocs.c - a plain program (no thag_profiler in it) with known heap
   traffic, for thag-run's tests: 108 allocations, 67 deallocations, 5304
   bytes, peak 3200, 2280 bytes live at exit. No stdio (it would allocate).
   argv[1]: "exit N" returns N, "_exit N" calls _exit(N), "signal" raises
   SIGTERM, "close-stderr" closes fd 2 before returning, "exec PROG..."
   execs PROG at the end. Build: cc -O0 -g -fno-builtin allocs.c */
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *make_node(size_t n);
char *grow(void);
void *zeroed(void);
void aligned(void);

__attribute__((noinline)) void *make_node(size_t n) { return malloc(n); }

/* 4 allocations (realloc(NULL) and 3 moves), 3 deallocations. */
__attribute__((noinline)) char *grow(void) {
    char *p = realloc(NULL, 16);
    size_t n;
    for (n = 32; n <= 128; n *= 2) p = realloc(p, n);
    return p;
}

__attribute__((noinline)) void *zeroed(void) { return calloc(10, 100); }

__attribute__((noinline)) void aligned(void) {
    void *a = NULL, *b, *c;
    if (posix_memalign(&a, 64, 256)) abort();
    b = aligned_alloc(128, 512);
    c = memalign(32, 96);
    free(a);
    free(b);
    free(c);
}

int main(int argc, char **argv) {
    static void *nodes[100];
    int i;
    for (i = 0; i < 100; i++) nodes[i] = make_node(32);
    for (i = 0; i < 60; i++) free(nodes[i]);
    free(grow());
    (void)zeroed(); /* leaked: 1000 bytes live at exit */
    aligned();
    if (write(1, "done\n", 5) != 5) return 1;
    if (argc > 2 && !strcmp(argv[1], "exit")) return atoi(argv[2]);
    if (argc > 2 && !strcmp(argv[1], "_exit")) _exit(atoi(argv[2]));
    if (argc > 1 && !strcmp(argv[1], "signal")) raise(SIGTERM);
    if (argc > 1 && !strcmp(argv[1], "close-stderr")) close(2);
    if (argc > 2 && !strcmp(argv[1], "exec")) execvp(argv[2], argv + 2);
    return 0;
}
