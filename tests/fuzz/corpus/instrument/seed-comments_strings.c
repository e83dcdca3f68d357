¹/* Braces and parentheses inside comments, strings and character
 * literals must not confuse the instrumenter: { ( } ) */
#include <stdio.h>
#include <string.h>

// a line comment with a brace { and a continuation \
   that goes on here } int fake(void) {

static const char *open_brace = "{ int fake2(void) { \" }";
static const char close_brace = '}';
static const char quote = '"';
static const char apostrophe = '\'';
static const char *spliced = "a string \
with a continuation { (";

static int count(const char *s, char c) /* { */
{
    int n = 0; /* } */
    for (; *s; s++)
        if (*s == c || *s == '{' || *s == ')')
            n++;
    return n; // }
}

int uses_all(void)
{
    /* first line is a comment { */
    return count(open_brace, close_brace) + quote + apostrophe + (int)strlen(spliced);
}

int  /* comment between */ between_comments /* ( */ (void) /* ) { */
{
    return '{' + '}' + '(' + ')';
}
