Â/* wordfreq: a text-processing pipeline profiled with sections.

   Reads text (the files named on the command line, or a built-in text
   repeated), splits it into words, counts them in a hash table, sorts them
   by frequency and prints the top ten. Each stage is a THAG_SECTION inside
   a profiled function, the way you would find which stage of a pipeline
   costs the most without splitting it into functions first.

   Build: cc -O2 -DTHAG_TIME_PROFILING -I.. wordfreq.c -pthread -o wordfreq */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry { char *word; unsigned count; struct entry *next; } entry;

#define NBUCKETS 4096
static entry *table[NBUCKETS];
static size_t nwords;

static unsigned hash(const char *s) {
    unsigned h = 2166136261u;
    while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

static void count_word(const char *w) {
    unsigned b = hash(w) % NBUCKETS;
    entry *e;
    for (e = table[b]; e; e = e->next)
        if (strcmp(e->word, w) == 0) { e->count++; return; }
    e = (entry *)malloc(sizeof *e);
    e->word = strdup(w);
    e->count = 1;
    e->next = table[b];
    table[b] = e;
    nwords++;
}

/* Splits text into lower-case words and counts each. */
static void tokenise(char *text) {
    THAG_PROFILE(tokenise);
    char *p = text;
    while (*p) {
        char word[64];
        size_t n = 0;
        while (*p && !isalpha((unsigned char)*p)) p++;
        while (*p && isalpha((unsigned char)*p)) {
            if (n < sizeof word - 1) word[n++] = (char)tolower((unsigned char)*p);
            p++;
        }
        word[n] = 0;
        if (n) count_word(word);
    }
}

static int by_count(const void *a, const void *b) {
    const entry *x = *(entry *const *)a, *y = *(entry *const *)b;
    if (x->count != y->count) return x->count < y->count ? 1 : -1;
    return strcmp(x->word, y->word);
}

static char *read_all(FILE *f, size_t *len) {
    size_t cap = 1 << 16, n = 0, k;
    char *buf = (char *)malloc(cap);
    while ((k = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += k;
        if (cap - n < 4096) buf = (char *)realloc(buf, cap *= 2);
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

static const char *builtin =
    "It was the best of times, it was the worst of times, it was the age of wisdom, "
    "it was the age of foolishness, it was the epoch of belief, it was the epoch of "
    "incredulity, it was the season of Light, it was the season of Darkness. ";

/* Reads every input: the named files, or the built-in text 20000 times. */
static char *load(int argc, char **argv, size_t *len) {
    THAG_PROFILE(load);
    size_t total = 0, n, i;
    char *all;
    if (argc < 2) {
        n = strlen(builtin);
        all = (char *)malloc(n * 20000 + 1);
        for (i = 0; i < 20000; i++) memcpy(all + i * n, builtin, n);
        all[n * 20000] = 0;
        *len = n * 20000;
        return all;
    }
    all = (char *)calloc(1, 1);
    for (i = 1; i < (size_t)argc; i++) {
        FILE *f = fopen(argv[i], "r");
        char *t;
        if (!f) { perror(argv[i]); continue; }
        t = read_all(f, &n);
        fclose(f);
        all = (char *)realloc(all, total + n + 2);
        memcpy(all + total, t, n);
        total += n;
        all[total++] = '\n';
        all[total] = 0;
        free(t);
    }
    *len = total;
    return all;
}

static void report(void) {
    THAG_PROFILE(report);
    entry **v = (entry **)malloc((nwords ? nwords : 1) * sizeof *v), *e;
    size_t n = 0, i;
    THAG_SECTION(collect);
    for (i = 0; i < NBUCKETS; i++)
        for (e = table[i]; e; e = e->next) v[n++] = e;
    THAG_END(collect);
    THAG_SECTION(sort);
    qsort(v, n, sizeof *v, by_count);
    THAG_END(sort);
    THAG_SECTION(print);
    for (i = 0; i < n && i < 10; i++) printf("%8u %s\n", v[i]->count, v[i]->word);
    printf("%zu distinct words\n", n);
    THAG_END(print);
    free(v);
}

int main(int argc, char **argv) {
    THAG_ENABLE_PROFILING(yes);
    size_t len;
    char *text = load(argc, argv, &len);
    tokenise(text);
    report();
    free(text);
    return 0;
}
