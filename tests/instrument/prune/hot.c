/* prune/: the second pass. run/ holds a first run's -calls and -inclusive
   files for this program (made up, so the choices are fixed): read32 and
   write16 are cheap leaves, hash is cheap once read32 is unprofiled. */
#include <stdio.h>
#include <string.h>

static unsigned read32(const unsigned char *p)
{
    unsigned v;
    memcpy(&v, p, sizeof v);
    return v;
}

static unsigned hash(const unsigned char *p) { return read32(p) * 2654435761u >> 20; }

static void write16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void emit(unsigned char *out, unsigned v)
{
    for (int i = 0; i < 4; i++) write16(out + 2 * i, v + (unsigned)i);
}

static unsigned compress(const unsigned char *in, size_t n, unsigned char *out)
{
    unsigned acc = 0;
    for (size_t i = 0; i + 4 <= n; i++) {
        acc += hash(in + i);
        if ((acc & 63) == 0) emit(out, acc);
    }
    return acc;
}

static void report(unsigned v)
{
    printf("%u\n", v);
}

int main(void)
{
    static unsigned char in[1 << 16], out[8];
    for (size_t i = 0; i < sizeof in; i++) in[i] = (unsigned char)(i * 31);
    report(compress(in, sizeof in, out));
    return 0;
}
