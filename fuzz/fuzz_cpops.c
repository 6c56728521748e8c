/* fuzz_cpops.c - libFuzzer harness for the configuration store's ops
 * (src/node/cp_fsm.c): JSON text from proposers and forwarding peers,
 * applied by every node.
 *
 * The input is an op's JSON text, applied to a small fixed document through
 * the FSM's apply (as a committed log entry would be). Checked: apply never
 * fails raft (returns 0); on a non-zero result the document is unchanged
 * (all or nothing, batches included); the document stays an object; the
 * same op applied to an equal document gives an equal result (determinism).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/node/cp_fsm.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

static const char *BASE = "{\"cluster\":{\"name\":\"c\",\"n\":1},\"dbs\":{\"1\":{\"port\":12000}},"
                          "\"list\":[1,2,3],\"s\":\"x\"}";

static int apply_on(cp_fsm *f, const uint8_t *data, size_t size) {
    struct raft_buffer buf = {(void *)data, size};
    void *result = NULL;
    CHECK(f->fsm.apply(&f->fsm, &buf, &result) == 0);
    return cp_fsm_result_rc(result);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cp_fsm a, b;
    json_t *before;
    json_error_t e;
    int ra, rb;
    cp_fsm_init(&a);
    cp_fsm_init(&b);
    json_decref(a.state);
    json_decref(b.state);
    a.state = json_loads(BASE, 0, &e);
    b.state = json_loads(BASE, 0, &e);
    before = json_deep_copy(a.state);
    ra = apply_on(&a, data, size);
    rb = apply_on(&b, data, size);
    CHECK(ra <= 0);
    CHECK(ra == rb);
    CHECK(json_is_object(a.state));
    CHECK(json_equal(a.state, b.state));
    if (ra != 0) CHECK(json_equal(a.state, before));
    json_decref(before);
    cp_fsm_close(&a);
    cp_fsm_close(&b);
    return 0;
}
