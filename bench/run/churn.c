/* churn.c - an allocation-heavy workload for bench-run: lists, strings and
   growing buffers in three functions, about 1.2 million allocations.
   No thag_profiler in it: thag-run and heaptrack profile it unmodified.
   Build: cc -O2 -g -fno-builtin churn.c -o churn */
#include <stdlib.h>
#include <string.h>

struct node { struct node *next; char payload[40]; };

void *list_churn(int rounds);
char *string_churn(int rounds);
size_t buffer_churn(int rounds);

__attribute__((noinline)) void *list_churn(int rounds) {
    struct node *head = NULL;
    int r, i;
    for (r = 0; r < rounds; r++) {
        for (i = 0; i < 100; i++) {
            struct node *n = malloc(sizeof *n);
            n->next = head;
            head = n;
        }
        while (head) { struct node *n = head->next; free(head); head = n; }
    }
    return head;
}

__attribute__((noinline)) char *string_churn(int rounds) {
    char *keep = NULL;
    int r;
    for (r = 0; r < rounds; r++) {
        char *s = malloc((size_t)(r % 200) + 1);
        memset(s, 'x', (size_t)(r % 200));
        s[r % 200] = 0;
        free(keep);
        keep = s;
    }
    return keep;
}

__attribute__((noinline)) size_t buffer_churn(int rounds) {
    size_t total = 0;
    int r;
    for (r = 0; r < rounds; r++) {
        char *b = NULL;
        size_t n;
        for (n = 16; n <= 4096; n *= 2) b = realloc(b, n);
        total += n;
        free(b);
    }
    return total;
}

int main(int argc, char **argv) {
    int scale = argc > 1 ? atoi(argv[1]) : 4000;
    free(string_churn(scale * 50));
    list_churn(scale);
    return buffer_churn(scale * 5) == 0;
}
