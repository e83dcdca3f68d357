+/* Splices in odd places. */
int spl\
it(void)
{
    return 1;
}

int f(void) { \
 return 2; }
