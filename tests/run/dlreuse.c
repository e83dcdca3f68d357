/* dlclose and the cached unwinding rules (tests/run/test.sh, thag-run's
   default --stack unwind): dlopen libdla.so, 100 allocations through
   a_outer;a_alloc (via_a), dlclose it; dlopen libdlb.so, most likely
   mapped where A was (it prints "same base" or "moved"), 70 allocations
   through b_outer;b_alloc (via_b). B's stacks must be main;via_b;b_outer;
   b_alloc, exactly: A's rules for the same addresses would give others. */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void outer_fn(int, void **);
static void *blocks[100];

static outer_fn *load(const char *lib, const char *sym, void **h, void **base) {
    void *p;
    outer_fn *f;
    Dl_info d;
    if (!(*h = dlopen(lib, RTLD_NOW | RTLD_LOCAL)) || !(p = dlsym(*h, sym)) || !dladdr(p, &d)) {
        fprintf(stderr, "dlreuse: %s: %s\n", lib, dlerror());
        exit(2);
    }
    *base = d.dli_fbase;
    memcpy(&f, &p, sizeof f);
    return f;
}

/* (the empty asm after the call: not a tail call, so each keeps its frame) */
__attribute__((noinline)) static void via_a(outer_fn *f) { f(100, blocks); __asm__ volatile("" ::: "memory"); }
__attribute__((noinline)) static void via_b(outer_fn *f) { f(70, blocks); __asm__ volatile("" ::: "memory"); }

int main(int argc, char **argv) {
    void *ha, *hb, *ba, *bb;
    int i;
    if (argc != 3) { fprintf(stderr, "usage: dlreuse LIBA LIBB\n"); return 2; }
    via_a(load(argv[1], "a_outer", &ha, &ba));
    for (i = 0; i < 100; i++) free(blocks[i]);
    dlclose(ha);
    via_b(load(argv[2], "b_outer", &hb, &bb));
    for (i = 0; i < 70; i++) free(blocks[i]);
    printf("%s\n", ba == bb ? "same base" : "moved");
    return 0; /* B stays loaded: its frames are named at the output */
}
