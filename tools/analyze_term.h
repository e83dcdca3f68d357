/* analyze_term.h: terminal helpers for thag-analyze's interactive mode (tools/analyze.c).
 * Internal header, included once by analyze.c; every function is static.
 * Menus are numbered lists: in a terminal the arrow keys move a highlight and Enter picks it,
 * or a number followed by Enter picks directly; when stdin is not a terminal the menu is a
 * plain prompt that reads one line, so a script can drive it. */
#ifndef THAG_ANALYZE_TERM_H
#define THAG_ANALYZE_TERM_H

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static int at_color;          /* colours on stdout */
static int at_tty_in;         /* stdin is a terminal: arrow-key menus */

static const char *at_c(const char *code) { return at_color ? code : ""; }
#define AT_RESET  at_c("\033[0m")
#define AT_BOLD   at_c("\033[1m")
#define AT_DIM    at_c("\033[2m")
#define AT_RED    at_c("\033[31m")
#define AT_GREEN  at_c("\033[32m")
#define AT_YELLOW at_c("\033[33m")
#define AT_CYAN   at_c("\033[36m")
#define AT_REV    at_c("\033[7m")

/* Reads one line from stdin into buf (newline removed). Returns 0, or -1 at end of input. */
static int at_read_line(char *buf, size_t n)
{
    size_t k;
    fflush(stdout);
    if (!fgets(buf, (int)n, stdin)) return -1;
    k = strlen(buf);
    while (k && (buf[k - 1] == '\n' || buf[k - 1] == '\r')) buf[--k] = 0;
    return 0;
}

/* An answer typed as a number: its value, -1 if it is not a number >= 0, INT_MAX if it is
   bigger (atoi's result on overflow is undefined). */
static int at_parse_int(const char *s)
{
    char *e;
    long v;
    errno = 0;
    v = strtol(s, &e, 10);
    if (e == s || v < 0) return -1;
    return errno == ERANGE || v > INT_MAX ? INT_MAX : (int)v;
}

/* Prints prompt and reads a line. -1 at end of input. */
static int at_prompt(const char *prompt, char *buf, size_t n)
{
    printf("%s%s%s", AT_BOLD, prompt, AT_RESET);
    return at_read_line(buf, n);
}

/* Reads one key in raw mode: a character, or 'U'+256 / 'D'+256 for the up/down arrows. */
static int at_key(void)
{
    unsigned char c, seq[2];
    if (read(0, &c, 1) != 1) return -1;
    if (c != 27) return c;
    if (read(0, &seq[0], 1) != 1) return 27;
    if (seq[0] != '[' && seq[0] != 'O') return 27;
    if (read(0, &seq[1], 1) != 1) return 27;
    if (seq[1] == 'A') return 'U' + 256;
    if (seq[1] == 'B') return 'D' + 256;
    return 0;
}

/* Draws the menu; every line is cut to the terminal's width so that the redraw (cursor up
 * by the number of lines) stays exact. */
static void at_draw_menu(const char *title, const char *const *items, int n, int cur, const char *typed)
{
    struct winsize ws;
    int i, w = 1000;
    if (ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 8) w = ws.ws_col - 7;
    printf("%s%.*s%s\n", AT_BOLD, w + 6, title, AT_RESET);
    for (i = 0; i < n; i++) {
        if (i == cur) printf("%s> %2d) %.*s%s\n", AT_REV, i + 1, w, items[i], AT_RESET);
        else printf("  %2d) %.*s\n", i + 1, w, items[i]);
    }
    printf("Choice (arrows/number + Enter, q = back): %s", typed);
    fflush(stdout);
}

/* Arrow-key menu on a terminal. Returns the 0-based choice, or -1 for q/Esc/end of input. */
static int at_menu_tty(const char *title, const char *const *items, int n)
{
    struct termios old, raw;
    int cur = 0, key, result = -2;
    char typed[12] = "";
    size_t tl = 0;
    tcgetattr(0, &old);
    raw = old;
    raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    tcsetattr(0, TCSANOW, &raw);
    at_draw_menu(title, items, n, cur, typed);
    while (result == -2) {
        key = at_key();
        if (key < 0 || key == 'q' || key == 27 || key == 4) result = -1;
        else if (key == 'U' + 256) cur = (cur + n - 1) % n;
        else if (key == 'D' + 256) cur = (cur + 1) % n;
        else if (key >= '0' && key <= '9' && tl < sizeof typed - 1) { typed[tl++] = (char)key; typed[tl] = 0; }
        else if ((key == 127 || key == 8) && tl) typed[--tl] = 0;
        else if (key == '\r' || key == '\n') {
            if (tl) {
                int v = at_parse_int(typed);
                if (v >= 1 && v <= n) result = v - 1;
                tl = 0; typed[0] = 0;
            } else result = cur;
        } else continue;
        if (result != -2) break;
        printf("\r\033[%dA\033[J", n + 1);
        at_draw_menu(title, items, n, cur, typed);
    }
    tcsetattr(0, TCSANOW, &old);
    printf("\n");
    return result;
}

/* Plain prompt menu (stdin not a terminal). Invalid answers are asked again. */
static int at_menu_plain(const char *title, const char *const *items, int n)
{
    char buf[64];
    int i;
    for (;;) {
        printf("%s%s%s\n", AT_BOLD, title, AT_RESET);
        for (i = 0; i < n; i++) printf("  %2d) %s\n", i + 1, items[i]);
        printf("Choice [1-%d, q = back]: ", n);
        if (at_read_line(buf, sizeof buf)) { printf("\n"); return -1; }
        if (buf[0] == 'q' || buf[0] == 'Q') return -1;
        i = at_parse_int(buf);
        if (i >= 1 && i <= n) return i - 1;
        printf("Please answer a number from 1 to %d.\n", n);
    }
}

static int at_menu(const char *title, const char *const *items, int n)
{
    if (n <= 0) return -1;
    return at_tty_in ? at_menu_tty(title, items, n) : at_menu_plain(title, items, n);
}

#endif
