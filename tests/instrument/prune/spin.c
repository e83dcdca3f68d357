/* prune/spin.c: a real first run for --prune. mix is a one-line helper
   called per byte (too cheap to measure); digest does real work besides. */
#include <stdio.h>

static unsigned mix(unsigned h, unsigned c)
{
    return (h ^ c) * 16777619u;
}

static unsigned digest(const unsigned char *p, unsigned n)
{
    unsigned h = 2166136261u, s = 0;
    for (unsigned i = 0; i < n; i++) h = mix(h, p[i]);
    for (unsigned r = 0; r < 64; r++) {
        for (unsigned i = 0; i < n; i++) s = s * 31 + (p[i] ^ r);
    }
    return h ^ s;
}

int main(void)
{
    static unsigned char buf[4096];
    unsigned t = 0;
    for (unsigned r = 0; r < 200; r++) {
        buf[r % sizeof buf] = (unsigned char)r;
        t += digest(buf, sizeof buf);
    }
    printf("%u\n", t);
    return 0;
}
