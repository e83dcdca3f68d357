#ifndef MULTI_H
#define MULTI_H
int zl_len(int n);
unsigned util_hash(const char *s);
#endif
