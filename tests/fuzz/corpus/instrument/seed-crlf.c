Ş/* CRLF line endings. */
#include <stdio.h>

int f(int x)
{
    return x;
}

int g(void) { // c
    return 0;
}

int main(void)
{
    return f(1) + g();
}
