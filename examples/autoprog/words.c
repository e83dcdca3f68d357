/* autoprog: word counting, with a static helper called once per byte. */
#include "autoprog.h"

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

int count_words(const char *text)
{
    int words = 0, in_word = 0;
    for (; *text; text++) {
        if (is_space(*text)) in_word = 0;
        else if (!in_word) { in_word = 1; words++; }
    }
    return words;
}
