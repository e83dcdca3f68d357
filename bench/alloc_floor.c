/* bench/alloc_floor: the floors under the memory hooks, for bench/alloc.sh.
   Linked with bench/alloc.c built without the profiler, it replaces the
   malloc family with the least a hook can be:
     (no switch)        a call forwarded to mimalloc (what any hook costs);
     -DFLOOR_HEADER=1   with a 16-byte header written before each block and
                        read at its free, nothing counted: the floor of any
                        exact per-block accounting (summary mode);
     -DFLOOR_WALK=1     with the header and a frame-pointer walk (hashed) of
                        the whole stack at every allocation and every free,
                        nothing kept: the floor of detail mode's real stacks
                        (build with -fno-omit-frame-pointer).
   Only what the benchmark calls (malloc, free, realloc, calloc). */
#include <mimalloc.h>
#include <stddef.h>
#include <stdint.h>

#if FLOOR_WALK
#undef FLOOR_HEADER
#define FLOOR_HEADER 1
/* Walks the frame-pointer chain from here to the outermost frame (glibc's
   _start and clone leave rbp 0), hashing the return addresses, and keeps
   the hash so that the walk cannot be optimised away. */
static volatile uintptr_t walk_sink;
__attribute__((noinline)) static void walk(void) {
    const uintptr_t *fp = (const uintptr_t *)__builtin_frame_address(0);
    uintptr_t h = 0;
    int n = 0;
    while (fp && n < 64) {
        const uintptr_t *next = (const uintptr_t *)fp[0];
        h = (h ^ fp[1]) * 1099511628211ull;
        n++;
        if (next <= fp) break;
        fp = next;
    }
    walk_sink = h;
}
#else
static inline void walk(void) {}
#endif

#if FLOOR_HEADER
typedef struct hdr { uint64_t size; void *owner; } hdr;

void *malloc(size_t n) {
    hdr *h;
    walk();
    h = (hdr *)(n <= MI_SMALL_SIZE_MAX - sizeof *h ? mi_malloc_small(n + sizeof *h) : mi_malloc(n + sizeof *h));
    if (!h) return NULL;
    h->size = n;
    h->owner = NULL;
    return h + 1;
}
void free(void *p) {
    hdr *h = (hdr *)p - 1;
    if (!p || h->owner == (void *)1) return; /* reads the header, as a hook must */
    walk();
    mi_free(h);
}
void *realloc(void *p, size_t n) {
    hdr *h;
    if (!p) return malloc(n);
    walk();
    if (!(h = (hdr *)mi_realloc((hdr *)p - 1, n + sizeof *h))) return NULL;
    h->size = n;
    return h + 1;
}
void *calloc(size_t k, size_t n) {
    hdr *h;
    walk();
    if (!(h = (hdr *)mi_zalloc(k * n + sizeof *h))) return NULL;
    h->size = k * n;
    return h + 1;
}
#else
void *malloc(size_t n) { return mi_malloc(n); }
void free(void *p) { mi_free(p); }
void *realloc(void *p, size_t n) { return mi_realloc(p, n); }
void *calloc(size_t k, size_t n) { return mi_calloc(k, n); }
#endif
