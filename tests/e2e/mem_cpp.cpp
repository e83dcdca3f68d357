// Memory in C++: new and delete are seen (even with libmimalloc.so, which
// exports its own operator new, on the link line), and so are the
// standard containers' allocations.
#define THAG_PROFILER_IMPLEMENTATION
#include "thag_profiler.h"
#include <memory>
#include <new>
#include <vector>

struct Node { char payload[48]; };
struct alignas(64) Wide { char b[64]; };

static void build(std::vector<Node *> &v) {
    THAG_PROFILE(build);
    for (int i = 0; i < 100; i++) v.push_back(new Node());
}

static void *volatile escape; // keeps the compiler from eliding new/delete pairs

static void shared(void) {
    THAG_PROFILE(shared);
    Wide *w = new Wide();       // aligned new: 64 bytes
    int *a = new int[10];       // 40 bytes
    escape = w;
    escape = a;
    delete[] a;
    delete w;
}

int main() {
    THAG_ENABLE_PROFILING(memory);
    std::vector<Node *> v;
    v.reserve(100);             // main: 800 bytes, 1 allocation
    build(v);
    shared();
    for (Node *n : v) delete n;
    return 0;
}
