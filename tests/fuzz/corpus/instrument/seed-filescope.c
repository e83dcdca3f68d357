(/* File-scope things with braces that are not function bodies. */
#include <stdio.h>

struct ops {
    int (*open)(const char *path);
    void (*close)(int fd);
};

static int op_open(const char *path) { return path ? 3 : -1; }
static void op_close(int fd) { (void)fd; }

static const struct ops table = {
    .open = op_open,
    .close = op_close,
};

static const struct ops tables[] = {
    [0] = { .open = op_open, .close = op_close },
    [1] = { op_open, op_close },
};

int grid[2][3] = { { 1, 2, 3 }, { 4, 5, 6 } };
int *lit = (int[]){ 7, 8, 9 };
static int (*const fns[])(const char *) = { op_open, op_open };

typedef struct { int a; union { int b; float c; } u; } thing;
enum color { RED = 1, GREEN = (RED << 1), BLUE };
typedef enum { ONE, TWO } num;

#ifdef __cplusplus
extern "C" {
#endif

int in_extern(void)
{
    int (*fp)(const char *) = table.open;
    return fp("x") + tables[1].open("y") + grid[1][2] + lit[0] + fns[1](NULL);
}

#ifdef __cplusplus
}
#endif

struct ops get_ops(void) { return table; }
