—/* K&R-style (old-style) definitions. */
int add(a, b)
int a, b;
{
    return a + b;
}

char *first(s, n)
    char *s;
    register int n;
{
    return n ? s : 0;
}

static int (*get_cb(void))(int);

int call(f, x)
int (*f)();
int x;
{ return f(x); }
