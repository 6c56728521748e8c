/* test_node_fsm.c - the configuration store's ops and its state machine in a
 * deterministic in-memory Raft cluster (C-Raft's raft/fixture.h): elections,
 * partitions (a write on a minority is never acknowledged), leader changes
 * (committed writes survive), snapshots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <raft.h>
#include <raft/fixture.h>
#include <string.h>

#include "../../src/core/err.h"
#include "../../src/node/cp_fsm.h"

static json_t *J(const char *text) {
    json_error_t e;
    json_t *v = json_loads(text, 0, &e);
    if (!v) fail_msg("bad test JSON %s: %s", text, e.text);
    return v;
}

/* Applies op text to state; returns rc. */
static int apply(json_t *state, const char *op) {
    json_t *o = J(op);
    int rc = cp_ops_apply(state, o);
    json_decref(o);
    return rc;
}

static void assert_state(const json_t *state, const char *want) {
    json_t *w = J(want);
    if (!json_equal(state, w)) {
        char *got = json_dumps(state, JSON_COMPACT | JSON_SORT_KEYS);
        fail_msg("state %s, want %s", got, want);
    }
    json_decref(w);
}

static void test_ops_basic(void **unused) {
    json_t *st = json_object();
    (void)unused;
    assert_int_equal(apply(st, "{\"op\":\"set\",\"path\":[\"cluster\",\"name\"],\"value\":\"c1\"}"),
                     0);
    assert_state(st, "{\"cluster\":{\"name\":\"c1\"}}");
    assert_int_equal(apply(st, "{\"op\":\"create\",\"path\":[\"cluster\",\"name\"],\"value\":1}"),
                     SK_ECONFLICT);
    assert_int_equal(
        apply(st, "{\"op\":\"create\",\"path\":[\"nodes\",\"1\"],\"value\":{\"a\":1}}"), 0);
    assert_int_equal(
        apply(st, "{\"op\":\"cas\",\"path\":[\"cluster\",\"name\"],\"expect\":\"x\",\"value\":2}"),
        SK_ECONFLICT);
    assert_int_equal(
        apply(
            st,
            "{\"op\":\"cas\",\"path\":[\"cluster\",\"name\"],\"expect\":\"c1\",\"value\":\"c2\"}"),
        0);
    /* A missing value compares as null. */
    assert_int_equal(apply(st, "{\"op\":\"cas\",\"path\":[\"x\"],\"expect\":null,\"value\":3}"), 0);
    assert_int_equal(apply(st, "{\"op\":\"del\",\"path\":[\"x\"]}"), 0);
    assert_int_equal(apply(st, "{\"op\":\"del\",\"path\":[\"x\"]}"), SK_ECONFLICT);
    /* A scalar on the way is a conflict, not a silent overwrite. */
    assert_int_equal(
        apply(st, "{\"op\":\"set\",\"path\":[\"cluster\",\"name\",\"deeper\"],\"value\":1}"),
        SK_ECONFLICT);
    assert_state(st, "{\"cluster\":{\"name\":\"c2\"},\"nodes\":{\"1\":{\"a\":1}}}");
    /* Root replacement. */
    assert_int_equal(apply(st, "{\"op\":\"set\",\"path\":[],\"value\":{\"r\":1}}"), 0);
    assert_state(st, "{\"r\":1}");
    json_decref(st);
}

static void test_ops_batch_all_or_nothing(void **unused) {
    json_t *st = J("{\"a\":1}");
    (void)unused;
    assert_int_equal(apply(st, "{\"op\":\"batch\",\"ops\":["
                               "{\"op\":\"set\",\"path\":[\"b\"],\"value\":2},"
                               "{\"op\":\"create\",\"path\":[\"a\"],\"value\":3}]}"),
                     SK_ECONFLICT);
    assert_state(st, "{\"a\":1}");
    assert_int_equal(apply(st, "{\"op\":\"batch\",\"ops\":["
                               "{\"op\":\"set\",\"path\":[\"b\"],\"value\":2},"
                               "{\"op\":\"cas\",\"path\":[\"a\"],\"expect\":1,\"value\":3}]}"),
                     0);
    assert_state(st, "{\"a\":3,\"b\":2}");
    json_decref(st);
}

static void test_ops_invalid(void **unused) {
    static const char *bad[] = {
        "[]",
        "{}",
        "{\"op\":\"nope\",\"path\":[\"a\"]}",
        "{\"op\":\"set\",\"path\":[\"a\"]}",
        "{\"op\":\"set\",\"path\":\"a\",\"value\":1}",
        "{\"op\":\"set\",\"path\":[1],\"value\":1}",
        "{\"op\":\"set\",\"path\":[\"\"],\"value\":1}",
        "{\"op\":\"set\",\"path\":[],\"value\":1}",
        "{\"op\":\"create\",\"path\":[],\"value\":1}",
        "{\"op\":\"cas\",\"path\":[\"a\"],\"value\":1}",
        "{\"op\":\"del\",\"path\":[]}",
        "{\"op\":\"batch\",\"ops\":{}}",
        "{\"op\":\"batch\",\"ops\":[{\"op\":\"batch\",\"ops\":[]}]}",
        "{\"op\":\"batch\",\"ops\":[{\"op\":\"set\"}]}",
    };
    json_t *st = J("{\"a\":1}");
    size_t i;
    (void)unused;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *o = J(bad[i]);
        assert_int_equal(cp_ops_validate(o), SK_EINVAL);
        assert_int_equal(cp_ops_apply(st, o), SK_EINVAL);
        json_decref(o);
    }
    assert_state(st, "{\"a\":1}");
    json_decref(st);
}

/* ---- fixture cluster ---- */

#define N 3
static struct raft_fixture F;
static cp_fsm FSM[N + 2];

static int cluster_setup(void **unused) {
    struct raft_configuration conf;
    unsigned i;
    (void)unused;
    memset(&F, 0, sizeof(F));
    assert_int_equal(raft_fixture_initialize(&F), 0);
    for (i = 0; i < N; i++) {
        cp_fsm_init(&FSM[i]);
        assert_int_equal(raft_fixture_grow(&F, &FSM[i].fsm), 0);
    }
    assert_int_equal(raft_fixture_configuration(&F, N, &conf), 0);
    assert_int_equal(raft_fixture_bootstrap(&F, &conf), 0);
    raft_configuration_close(&conf);
    assert_int_equal(raft_fixture_start(&F), 0);
    return 0;
}

static int cluster_teardown(void **unused) {
    unsigned i, n = raft_fixture_n(&F);
    (void)unused;
    raft_fixture_close(&F);
    for (i = 0; i < n; i++)
        cp_fsm_close(&FSM[i]);
    return 0;
}

typedef struct result {
    int called, status, rc;
} result;

static void apply_cb(struct raft_apply *req, int status, void *res) {
    result *r = req->data;
    r->called = 1;
    r->status = status;
    r->rc = status == 0 ? cp_fsm_result_rc(res) : 0;
    raft_free(req);
}

static void propose(unsigned i, const char *op, result *r) {
    struct raft_apply *req = raft_malloc(sizeof(*req));
    struct raft_buffer buf;
    buf.len = strlen(op);
    buf.base = raft_malloc(buf.len);
    memcpy(buf.base, op, buf.len);
    memset(r, 0, sizeof(*r));
    req->data = r;
    assert_int_equal(raft_apply(raft_fixture_get(&F, i), req, &buf, 1, apply_cb), 0);
}

static bool cb_called(struct raft_fixture *f, void *arg) {
    (void)f;
    return ((result *)arg)->called;
}

/* A leader other than server 0 (the fixture's own leader tracking wants every
 * connected server to agree, which a partitioned old leader does not). */
static bool other_leader(struct raft_fixture *f, void *arg) {
    unsigned i;
    for (i = 1; i < raft_fixture_n(f); i++)
        if (raft_fixture_alive(f, i) && raft_state(raft_fixture_get(f, i)) == RAFT_LEADER) {
            *(unsigned *)arg = i;
            return true;
        }
    return false;
}

static void test_cluster_replicates(void **unused) {
    result r;
    unsigned i;
    (void)unused;
    raft_fixture_elect(&F, 0);
    propose(0, "{\"op\":\"set\",\"path\":[\"cluster\",\"name\"],\"value\":\"c\"}", &r);
    assert_true(raft_fixture_step_until(&F, cb_called, &r, 5000));
    assert_int_equal(r.status, 0);
    assert_int_equal(r.rc, 0);
    for (i = 0; i < N; i++)
        assert_true(raft_fixture_step_until_applied(
            &F, i, raft_last_applied(raft_fixture_get(&F, 0)), 5000));
    for (i = 0; i < N; i++)
        assert_state(FSM[i].state, "{\"cluster\":{\"name\":\"c\"}}");
    /* A failed precondition travels back as the result; nothing changes. */
    propose(0, "{\"op\":\"create\",\"path\":[\"cluster\",\"name\"],\"value\":1}", &r);
    assert_true(raft_fixture_step_until(&F, cb_called, &r, 5000));
    assert_int_equal(r.status, 0);
    assert_int_equal(r.rc, SK_ECONFLICT);
    /* So does a malformed op (the log entry is applied as a no-op). */
    propose(0, "not json", &r);
    assert_true(raft_fixture_step_until(&F, cb_called, &r, 5000));
    assert_int_equal(r.rc, SK_EINVAL);
    for (i = 0; i < N; i++)
        assert_state(FSM[i].state, "{\"cluster\":{\"name\":\"c\"}}");
}

static void test_minority_write_not_acknowledged(void **unused) {
    result r, r2;
    unsigned i;
    (void)unused;
    raft_fixture_elect(&F, 0);
    /* Leader 0 alone on its side of the partition. */
    for (i = 1; i < N; i++) {
        raft_fixture_disconnect(&F, 0, i);
        raft_fixture_disconnect(&F, i, 0);
    }
    propose(0, "{\"op\":\"set\",\"path\":[\"lost\"],\"value\":1}", &r);
    raft_fixture_step_until_elapsed(&F, 3000);
    /* Never acknowledged as committed: either still pending or failed. */
    assert_true(!r.called || r.status != 0);
    for (i = 0; i < N; i++)
        assert_null(json_object_get(FSM[i].state, "lost"));
    /* The majority elects a leader and goes on writing. */
    {
        unsigned l = 0;
        assert_true(raft_fixture_step_until(&F, other_leader, &l, 10000));
        propose(l, "{\"op\":\"set\",\"path\":[\"kept\"],\"value\":2}", &r2);
        assert_true(raft_fixture_step_until(&F, cb_called, &r2, 5000));
        assert_int_equal(r2.status, 0);
    }
    /* Heal: the old leader's uncommitted write is discarded everywhere. */
    for (i = 1; i < N; i++) {
        raft_fixture_reconnect(&F, 0, i);
        raft_fixture_reconnect(&F, i, 0);
    }
    raft_fixture_step_until_elapsed(&F, 5000);
    assert_true(r.called && r.status != 0);
    for (i = 0; i < N; i++)
        assert_state(FSM[i].state, "{\"kept\":2}");
}

static void test_leader_change_keeps_committed(void **unused) {
    result r;
    unsigned i, l;
    (void)unused;
    raft_fixture_elect(&F, 0);
    propose(0, "{\"op\":\"set\",\"path\":[\"a\"],\"value\":1}", &r);
    assert_true(raft_fixture_step_until(&F, cb_called, &r, 5000));
    assert_int_equal(r.status, 0);
    raft_fixture_kill(&F, 0);
    assert_true(raft_fixture_step_until(&F, other_leader, &l, 10000));
    assert_true(raft_fixture_step_until_applied(&F, l, 2, 5000));
    assert_state(FSM[l].state, "{\"a\":1}");
    propose(l, "{\"op\":\"cas\",\"path\":[\"a\"],\"expect\":1,\"value\":2}", &r);
    assert_true(raft_fixture_step_until(&F, cb_called, &r, 5000));
    assert_int_equal(r.status, 0);
    assert_int_equal(r.rc, 0);
    raft_fixture_revive(&F, 0);
    raft_fixture_step_until_elapsed(&F, 5000);
    for (i = 0; i < N; i++)
        assert_state(FSM[i].state, "{\"a\":2}");
}

static void test_snapshot_catch_up(void **unused) {
    result r;
    unsigned i, k;
    char op[128];
    (void)unused;
    for (i = 0; i < N; i++) {
        raft_set_snapshot_threshold(raft_fixture_get(&F, i), 8);
        raft_set_snapshot_trailing(raft_fixture_get(&F, i), 2);
    }
    raft_fixture_elect(&F, 0);
    raft_fixture_kill(&F, 2);
    for (k = 0; k < 40; k++) {
        snprintf(op, sizeof(op), "{\"op\":\"set\",\"path\":[\"k\"],\"value\":%u}", k);
        propose(0, op, &r);
        assert_true(raft_fixture_step_until(&F, cb_called, &r, 5000));
        assert_int_equal(r.status, 0);
    }
    /* Node 2 missed entries the leader no longer has: it gets a snapshot. */
    raft_fixture_revive(&F, 2);
    assert_true(
        raft_fixture_step_until_applied(&F, 2, raft_last_applied(raft_fixture_get(&F, 0)), 20000));
    for (i = 0; i < N; i++)
        assert_state(FSM[i].state, "{\"k\":39}");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops_basic),
        cmocka_unit_test(test_ops_batch_all_or_nothing),
        cmocka_unit_test(test_ops_invalid),
        cmocka_unit_test_setup_teardown(test_cluster_replicates, cluster_setup, cluster_teardown),
        cmocka_unit_test_setup_teardown(test_minority_write_not_acknowledged, cluster_setup,
                                        cluster_teardown),
        cmocka_unit_test_setup_teardown(test_leader_change_keeps_committed, cluster_setup,
                                        cluster_teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_catch_up, cluster_setup, cluster_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
