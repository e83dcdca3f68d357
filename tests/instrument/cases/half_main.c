/* main in only some branches: not always compiled. */
#include <stdio.h>

#if defined(TOOL_A)
int main(void)
{
    return 1;
}
#elif defined(TOOL_B)
static int nothing(void) { return 0; }
#else
int main(void)
{
    return 0;
}
#endif
