r/* A header with an include guard and static inline functions. */
#ifndef INLINE_H
#define INLINE_H

static inline int sq(int x) { return x * x; }

static inline int
cube(int x)
{
    return x * sq(x);
}

inline static int quad(int x)
{
    return sq(sq(x));
}

int not_inline(int x);

#endif
