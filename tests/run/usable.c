/* usable.c: a buffer that grows the way Redis's sds strings do: append, and
   reallocate (to twice the needed length) only when malloc_usable_size says
   the block is full. The number of reallocations depends on the allocator's
   size classes: glibc's under heaptrack or a plain run, mimalloc's under
   thag-run. Prints "<strings> strings, <n> allocation calls" (its own count
   of malloc and realloc calls), or with "sizes", malloc_usable_size of a few
   sizes. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long calls;

/* Appends len bytes of s to the string *buf of length *used. */
static void append(char **buf, size_t *used, const char *s, size_t len) {
    size_t cap = malloc_usable_size(*buf);
    if (*used + len + 1 > cap) {
        char *n = realloc(*buf, 2 * (*used + len + 1));
        if (!n) exit(1);
        *buf = n;
        calls++;
    }
    memcpy(*buf + *used, s, len);
    *used += len;
    (*buf)[*used] = 0;
}

int main(int argc, char **argv) {
    int i, j, strings = 2000;
    size_t sum = 0;
    if (argc > 1 && !strcmp(argv[1], "sizes")) {
        static const size_t sizes[] = {1, 24, 25, 100, 1000};
        for (i = 0; i < 5; i++) {
            void *p = malloc(sizes[i]);
            printf("%s%zu:%zu", i ? " " : "", sizes[i], malloc_usable_size(p));
            free(p);
        }
        printf("\n");
        return 0;
    }
    for (i = 0; i < strings; i++) {
        char *buf = malloc(1);
        size_t used = 0;
        if (!buf) return 1;
        calls++;
        buf[0] = 0;
        for (j = 0; j < i % 200; j++) append(&buf, &used, "abc", 1 + (size_t)(i + j) % 3);
        sum += strlen(buf);
        free(buf);
    }
    printf("%d strings, %lu allocation calls (%zu bytes)\n", strings, calls, sum);
    return 0;
}
