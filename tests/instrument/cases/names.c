/* Function names in the forms real code bases use (Lua, glibc, old Unix).
   Each definition is instrumented under its own name, or reported on
   stderr with its line when the name is not in the source. */
#define LUALIB_API extern
#define LUA_API extern
#define FN(x) x##_impl
#define TEST(name) void test_##name(void)
typedef struct lua_State lua_State;
typedef void (*handler)(int);

int (g) (void) { return 1; }

int *(f) (void) { return 0; }

LUALIB_API lua_State *(luaL_newstate) (void) {
  return 0;
}

LUA_API int (lua_gettop) (lua_State *L) {
  (void)L;
  return 0;
}

static int (paren_tight)(int a) { return (a); }

int knr(a, b)
    int a;
    char *b;
{
    (void)b;
    return a;
}

__attribute__((noreturn)) void die(void) { for (;;) {} }

void (*signal_like(int sig, void (*func)(int)))(int) { (void)sig; return func; }

static int (*(pick)(int k))(int) { (void)k; return 0; }

handler (get_handler)(void) { return 0; }

int FN(made)(int a) { return a; }

TEST(addition) {
}

int after(void) { return 2; }
