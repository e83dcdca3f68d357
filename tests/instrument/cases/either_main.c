/* main in every branch of a conditional that ends with #else is always
   compiled: the file gets the implementation. */
#include <stdio.h>

#ifdef _WIN32
int main(void)
{
    return 1;
}
#elif defined(__APPLE__)
int main(void)
{
    return 2;
}
#else
int main(void)
{
    return 0;
}
#endif
