/* tlread.c - prints a file as tools/folded.h reads it ("stack value" lines; for a timeline,
   its intervals in order), then the count of malformed lines: tests/export/run.sh compares
   a timeline-2 file (F lines) with its timeline-1 copy and with tests/lib.sh's tl_data.
   Build: cc -std=c11 -I tools -o tlread tests/export/tlread.c */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include "folded.h"

int main(int argc, char **argv) {
    FILE *f = argc == 2 ? fopen(argv[1], "rb") : NULL;
    folded_reader *r;
    folded_line l;
    int rc;
    if (!f || !(r = folded_open(f, argv[1]))) return 2;
    while ((rc = folded_next(r, &l)) == 1) printf("%.*s %.0f\n", (int)l.stack_len, l.stack, l.value);
    printf("malformed %lu\n", folded_malformed(r));
    folded_close(r);
    fclose(f);
    return rc < 0;
}
