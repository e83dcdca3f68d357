ù/* recurse: recursive algorithms, profiled function by function.

   Solves the N-queens puzzle by backtracking and sorts an array with a
   recursive merge sort. Recursive profiled functions make one frame per
   level (main;queens;place;place;place...), so the flamegraph shows where
   in the recursion the time goes; a recursive call never confuses the
   profiler (the original crate's profiler panics there).

   Build: cc -O2 -DTHAG_TIME_PROFILING -I.. recurse.c -pthread -o recurse */
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"

#include <stdio.h>
#include <stdlib.h>

/* Counts the placements of queens on rows row..n-1 given the attacked
   columns and diagonals as bit sets. */
static long place(int n, int row, unsigned cols, unsigned d1, unsigned d2) {
    THAG_PROFILE(place);
    long found = 0;
    unsigned free_cols;
    if (row == n) return 1;
    free_cols = ~(cols | d1 | d2) & ((1u << n) - 1);
    while (free_cols) {
        unsigned bit = free_cols & -free_cols;
        free_cols ^= bit;
        found += place(n, row + 1, cols | bit, (d1 | bit) << 1, (d2 | bit) >> 1);
    }
    return found;
}

static long queens(int n) {
    THAG_PROFILE(queens);
    return place(n, 0, 0, 0, 0);
}

static void merge(int *a, int *tmp, size_t lo, size_t mid, size_t hi) {
    size_t i = lo, j = mid, k = lo;
    while (i < mid && j < hi) tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
    while (i < mid) tmp[k++] = a[i++];
    while (j < hi) tmp[k++] = a[j++];
    for (k = lo; k < hi; k++) a[k] = tmp[k];
}

/* Small ranges are sorted unprofiled, so the tree stays readable. */
static void msort_plain(int *a, int *tmp, size_t lo, size_t hi) {
    size_t i, j, mid;
    if (hi - lo < 16) {
        for (i = lo + 1; i < hi; i++)
            for (j = i; j > lo && a[j - 1] > a[j]; j--) { int t = a[j]; a[j] = a[j - 1]; a[j - 1] = t; }
        return;
    }
    mid = lo + (hi - lo) / 2;
    msort_plain(a, tmp, lo, mid);
    msort_plain(a, tmp, mid, hi);
    merge(a, tmp, lo, mid, hi);
}

static void msort(int *a, int *tmp, size_t lo, size_t hi) {
    THAG_PROFILE(msort);
    size_t mid = lo + (hi - lo) / 2;
    if (hi - lo <= 4096) {
        msort_plain(a, tmp, lo, hi);
        return;
    }
    msort(a, tmp, lo, mid);
    msort(a, tmp, mid, hi);
    merge(a, tmp, lo, mid, hi);
}

static int sort_numbers(size_t n) {
    THAG_PROFILE(sort_numbers);
    int *a = (int *)malloc(n * sizeof *a), *tmp = (int *)malloc(n * sizeof *a), ok = 1;
    unsigned x = 12345;
    size_t i;
    for (i = 0; i < n; i++) { x = x * 1103515245u + 12345u; a[i] = (int)(x >> 8); }
    msort(a, tmp, 0, n);
    for (i = 1; i < n; i++) ok &= a[i - 1] <= a[i];
    free(a);
    free(tmp);
    return ok;
}

int main(int argc, char **argv) {
    THAG_ENABLE_PROFILING(yes);
    int n = argc > 1 ? atoi(argv[1]) : 9;
    if (n < 1 || n > 14) n = 9;
    printf("%d-queens: %ld solutions\n", n, queens(n));
    printf("merge sort of 1000000 numbers: %s\n", sort_numbers(1000000) ? "sorted" : "WRONG");
    return 0;
}
