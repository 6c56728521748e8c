/* test_server_stream.c - the stream value (stream_value.c): listpack nodes in
 * Redis's layout, iteration both ways, deletion, trimming, ID maps, consumer
 * groups and the lag bookkeeping.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../../src/core/listpack.h"
#include "../../src/server/t_stream.h"

/* Appends (ms, seq) with npairs "f<i>" / "<ms>" pairs; fields renamed when
 * odd_fields so the entry does not share the master's fields. */
static void add(stream *s, uint64_t ms, uint64_t seq, int npairs, int odd_fields,
                long long max_bytes, long long max_entries) {
    sstr fv[8];
    char buf[32];
    for (int i = 0; i < npairs; i++) {
        snprintf(buf, sizeof(buf), odd_fields ? "g%d" : "f%d", i);
        fv[2 * i] = sstr_from_cstr(buf);
        fv[2 * i + 1] = sstr_from_ll((long long)ms);
    }
    stream_id id = {ms, seq};
    assert_int_equal(stream_append(s, fv, npairs, &id, max_bytes, max_entries), 0);
    for (int i = 0; i < 2 * npairs; i++)
        sstr_free(fv[i]);
}

static int64_t lp_int(unsigned char *p) {
    int64_t v = -999;
    assert_true(lp_get_int(p, &v));
    return v;
}

static void collect(stream *s, const stream_id *start, const stream_id *end, int rev, uint64_t *out,
                    size_t *n) {
    stream_iter it;
    *n = 0;
    stream_iter_start(&it, s, start, end, rev);
    while (stream_iter_next(&it))
        out[(*n)++] = it.id.ms * 10 + it.id.seq;
}

static void test_id_helpers(void **state) {
    (void)state;
    stream_id a = {5, UINT64_MAX}, b = {6, 0};
    assert_int_equal(stream_id_cmp(&a, &b), -1);
    assert_int_equal(stream_id_incr(&a), 0);
    assert_int_equal(stream_id_cmp(&a, &b), 0);
    assert_int_equal(stream_id_decr(&a), 0);
    assert_int_equal(a.ms, 5);
    assert_true(a.seq == UINT64_MAX);
    stream_id zero = {0, 0}, max = {UINT64_MAX, UINT64_MAX};
    assert_int_equal(stream_id_decr(&zero), -1);
    assert_int_equal(stream_id_incr(&max), -1);
    unsigned char key[16];
    stream_id c = {0x0102030405060708ULL, 0x1112131415161718ULL}, d;
    stream_id_encode(key, &c);
    assert_int_equal(key[0], 0x01);
    assert_int_equal(key[15], 0x18);
    stream_id_decode(key, &d);
    assert_int_equal(stream_id_cmp(&c, &d), 0);
    char buf[48];
    assert_int_equal(stream_id_format(buf, &max), 41);
    assert_string_equal(buf, "18446744073709551615-18446744073709551615");
}

static void test_idmap(void **state) {
    (void)state;
    stream_idmap m = {0};
    int vals[5];
    stream_id ids[5] = {{3, 0}, {1, 0}, {2, 5}, {2, 1}, {9, 9}};
    for (int i = 0; i < 5; i++)
        assert_int_equal(stream_idmap_insert(&m, &ids[i], &vals[i]), 1);
    assert_int_equal(stream_idmap_insert(&m, &ids[0], NULL), 0);
    assert_int_equal(m.len, 5);
    for (size_t i = 1; i < m.len; i++)
        assert_int_equal(stream_id_cmp(&m.e[i - 1].id, &m.e[i].id), -1);
    stream_id q = {2, 2};
    assert_int_equal(stream_idmap_lower_bound(&m, &q), 2);
    assert_int_equal(stream_idmap_find(&m, &q), -1);
    assert_ptr_equal(stream_idmap_remove(&m, &ids[2]), &vals[2]);
    assert_null(stream_idmap_remove(&m, &ids[2]));
    assert_int_equal(m.len, 4);
    stream_idmap_free(&m);
}

/* The node's listpack is byte-compatible with Redis: master entry, then
 * entries with flags, deltas, fields (or SAMEFIELDS) and lp-count. */
static void test_node_layout(void **state) {
    (void)state;
    stream *s = stream_new();
    add(s, 100, 1, 2, 0, 4096, 100);
    add(s, 105, 0, 2, 0, 4096, 100);
    add(s, 106, 0, 1, 1, 4096, 100);
    assert_int_equal(s->nodes.len, 1);
    assert_true(s->nodes.e[0].id.ms == 100 && s->nodes.e[0].id.seq == 1);
    unsigned char *lp = s->nodes.e[0].val, *p = lp_first(lp);
    assert_int_equal(lp_int(p), 3); /* count */
    p = lp_next(lp, p);
    assert_int_equal(lp_int(p), 0); /* deleted */
    p = lp_next(lp, p);
    assert_int_equal(lp_int(p), 2); /* master fields */
    p = lp_next(lp, p);
    assert_true(lp_compare(p, "f0", 2));
    p = lp_next(lp, lp_next(lp, p));
    assert_int_equal(lp_int(p), 0); /* master terminator */
    /* entry 1: SAMEFIELDS, deltas 0/0, two values, lp-count 2+3 */
    p = lp_next(lp, p);
    assert_int_equal(lp_int(p), STREAM_ITEM_SAMEFIELDS);
    p = lp_next(lp, p);
    assert_int_equal(lp_int(p), 0);
    p = lp_next(lp, p);
    assert_int_equal(lp_int(p), 0);
    p = lp_next(lp, lp_next(lp, lp_next(lp, p)));
    assert_int_equal(lp_int(p), 5);
    /* entry 2: SAMEFIELDS, ms delta 5, seq delta -1 */
    p = lp_next(lp, p);
    assert_int_equal(lp_int(p), STREAM_ITEM_SAMEFIELDS);
    p = lp_next(lp, p);
    assert_int_equal(lp_int(p), 5);
    p = lp_next(lp, p);
    assert_int_equal(lp_int(p), -1);
    p = lp_next(lp, lp_next(lp, lp_next(lp, p)));
    assert_int_equal(lp_int(p), 5);
    /* entry 3: own fields: flags, 2 deltas, num-fields, g0, value, lp-count 1+3+2 */
    p = lp_next(lp, p);
    assert_int_equal(lp_int(p), STREAM_ITEM_NONE);
    p = lp_next(lp, lp_next(lp, lp_next(lp, p)));
    assert_int_equal(lp_int(p), 1);
    p = lp_next(lp, p);
    assert_true(lp_compare(p, "g0", 2));
    p = lp_next(lp, lp_next(lp, p));
    assert_int_equal(lp_int(p), 6);
    assert_null(lp_next(lp, p));
    stream_free(s);
}

static void test_node_limits_and_iteration(void **state) {
    (void)state;
    stream *s = stream_new();
    for (uint64_t i = 1; i <= 10; i++)
        add(s, i, 0, 1, i % 3 == 0, 0, 4);
    assert_int_equal(s->nodes.len, 3); /* 4 + 4 + 2 entries */
    assert_int_equal(s->length, 10);
    uint64_t got[16];
    size_t n;
    collect(s, NULL, NULL, 0, got, &n);
    assert_int_equal(n, 10);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(got[i], (i + 1) * 10);
    collect(s, NULL, NULL, 1, got, &n);
    assert_int_equal(n, 10);
    assert_int_equal(got[0], 100);
    assert_int_equal(got[9], 10);
    stream_id a = {4, 1}, b = {8, 0};
    collect(s, &a, &b, 0, got, &n);
    assert_int_equal(n, 4);
    assert_int_equal(got[0], 50);
    assert_int_equal(got[3], 80);
    collect(s, &a, &b, 1, got, &n);
    assert_int_equal(n, 4);
    assert_int_equal(got[0], 80);
    /* Field values come back in order, SAMEFIELDS or not. */
    stream_iter it;
    stream_id three = {3, 0};
    stream_iter_start(&it, s, &three, &three, 0);
    assert_true(stream_iter_next(&it));
    const unsigned char *f, *v;
    uint32_t fl, vl;
    assert_true(stream_iter_field(&it, &f, &fl, &v, &vl));
    assert_int_equal(fl, 2);
    assert_memory_equal(f, "g0", 2);
    assert_memory_equal(v, "3", 1);
    assert_false(stream_iter_field(&it, &f, &fl, &v, &vl));
    /* The byte limit closes nodes too. */
    stream *t = stream_new();
    for (uint64_t i = 1; i <= 6; i++)
        add(t, i, 0, 2, 0, 40, 0);
    assert_true(t->nodes.len > 1);
    collect(t, NULL, NULL, 1, got, &n);
    assert_int_equal(n, 6);
    stream_free(t);
    stream_free(s);
}

static void test_delete(void **state) {
    (void)state;
    stream *s = stream_new();
    for (uint64_t i = 1; i <= 6; i++)
        add(s, i, 0, 1, 0, 0, 3);
    stream_id id = {2, 0};
    assert_int_equal(stream_delete_id(s, &id), 1);
    assert_int_equal(stream_delete_id(s, &id), 0);
    unsigned char *lp = s->nodes.e[0].val;
    assert_int_equal(lp_int(lp_first(lp)), 2);
    assert_int_equal(lp_int(lp_next(lp, lp_first(lp))), 1);
    /* The last live entry of a node removes the node. */
    for (uint64_t i = 4; i <= 6; i++) {
        id.ms = i;
        assert_int_equal(stream_delete_id(s, &id), 1);
    }
    assert_int_equal(s->nodes.len, 1);
    assert_int_equal(s->length, 2);
    stream_id first, last;
    stream_edge_id(s, 1, &first);
    stream_edge_id(s, 0, &last);
    assert_int_equal(first.ms, 1);
    assert_int_equal(last.ms, 3);
    /* Removing during iteration, in reverse. */
    stream_iter it;
    stream_iter_start(&it, s, NULL, NULL, 1);
    int seen = 0;
    while (stream_iter_next(&it)) {
        stream_iter_remove(&it);
        seen++;
    }
    assert_int_equal(seen, 2);
    assert_int_equal(s->length, 0);
    assert_int_equal(s->nodes.len, 0);
    stream_free(s);
}

static void test_trim(void **state) {
    (void)state;
    stream *s = stream_new();
    for (uint64_t i = 1; i <= 10; i++)
        add(s, i, 0, 1, 0, 0, 3);
    stream_trim_args a = {STREAM_TRIM_MAXLEN, 6, {0, 0}, 1, 0};
    assert_int_equal(stream_trim(s, &a), 3); /* approx: one whole node */
    assert_int_equal(s->length, 7);
    a.approx = 0;
    assert_int_equal(stream_trim(s, &a), 1);
    assert_int_equal(s->first_id.ms, 5);
    a = (stream_trim_args){STREAM_TRIM_MINID, 0, {8, 0}, 0, 0};
    assert_int_equal(stream_trim(s, &a), 3);
    assert_int_equal(s->first_id.ms, 8);
    /* Exact trimming leaves an all-tombstoned node in place, as Redis. */
    stream *t = stream_new();
    add(t, 1, 0, 1, 0, 0, 3);
    add(t, 2, 0, 1, 0, 0, 3);
    stream_id two = {2, 0};
    stream_delete_id(t, &two);
    a = (stream_trim_args){STREAM_TRIM_MINID, 0, {2, 0}, 0, 0};
    assert_int_equal(stream_trim(t, &a), 1);
    assert_int_equal(t->length, 0);
    assert_int_equal(t->nodes.len, 1);
    stream_free(t);
    /* LIMIT stops approximate trimming before a node that would exceed it. */
    a = (stream_trim_args){STREAM_TRIM_MAXLEN, 0, {0, 0}, 1, 2};
    assert_int_equal(stream_trim(s, &a), 2); /* node {8, 9}; node {10} would pass 2 */
    assert_int_equal(s->length, 1);
    stream_free(s);
}

static void test_groups_and_dup(void **state) {
    (void)state;
    stream *s = stream_new();
    for (uint64_t i = 1; i <= 3; i++)
        add(s, i, 0, 1, 0, 0, 100);
    stream_id zero = {0, 0};
    stream_cg *g = stream_cg_create(s, "grp", 3, &zero, STREAM_ENTRIES_READ_INVALID);
    assert_non_null(g);
    assert_null(stream_cg_create(s, "grp", 3, &zero, 0));
    assert_non_null(stream_cg_create(s, "a", 1, &zero, 0));
    assert_non_null(stream_cg_create(s, "gr", 2, &zero, 0));
    /* Byte order, shorter first: a, gr, grp. */
    assert_string_equal(s->groups[0]->name, "a");
    assert_string_equal(s->groups[1]->name, "gr");
    assert_string_equal(s->groups[2]->name, "grp");
    stream_consumer *c1 = stream_consumer_create(g, "c1", 2, 1000);
    stream_consumer *c2 = stream_consumer_create(g, "c2", 2, 1000);
    assert_null(stream_consumer_create(g, "c1", 2, 1000));
    for (uint64_t i = 1; i <= 3; i++) {
        stream_id id = {i, 0};
        stream_nack *n = stream_nack_new(i == 2 ? c2 : c1, 1000);
        stream_idmap_insert(&g->pel, &id, n);
        stream_idmap_insert(&n->consumer->pel, &id, n);
    }
    stream *copy = stream_dup(s);
    assert_int_equal(stream_consumer_delete(g, c1), 2);
    assert_int_equal(g->pel.len, 1);
    assert_int_equal(g->nconsumers, 1);
    stream_cg *cg2 = stream_cg_lookup(copy, "grp", 3);
    assert_non_null(cg2);
    assert_int_equal(cg2->pel.len, 3);
    stream_consumer *cc1 = stream_consumer_lookup(cg2, "c1", 2);
    assert_non_null(cc1);
    assert_int_equal(cc1->pel.len, 2);
    stream_nack *n0 = cg2->pel.e[0].val;
    assert_ptr_equal(n0->consumer, cc1);
    assert_ptr_equal(cc1->pel.e[0].val, n0);
    assert_int_equal(copy->length, 3);
    assert_true(stream_mem_usage(copy) > 0);
    assert_int_equal(stream_cg_destroy(copy, "grp", 3), 1);
    assert_int_equal(stream_cg_destroy(copy, "grp", 3), 0);
    stream_free(copy);
    stream_free(s);
}

static void test_lag_helpers(void **state) {
    (void)state;
    stream *s = stream_new();
    stream_id id = {1, 0};
    assert_int_equal(stream_estimate_distance(s, &id), 0);
    for (uint64_t i = 1; i <= 5; i++)
        add(s, i, 0, 1, 0, 0, 100);
    stream_id last = {5, 0}, first = {1, 0}, before = {0, 5}, mid = {3, 0}, future = {9, 0};
    assert_int_equal(stream_estimate_distance(s, &last), 5);
    assert_int_equal(stream_estimate_distance(s, &first), 1);
    assert_int_equal(stream_estimate_distance(s, &before), 0);
    assert_int_equal(stream_estimate_distance(s, &mid), STREAM_ENTRIES_READ_INVALID);
    assert_int_equal(stream_estimate_distance(s, &future), STREAM_ENTRIES_READ_INVALID);
    assert_int_equal(stream_range_has_tombstones(s, NULL, NULL), 0);
    stream_id three = {3, 0};
    stream_delete_id(s, &three);
    s->max_deleted_id = three;
    assert_int_equal(stream_range_has_tombstones(s, &first, NULL), 1);
    assert_int_equal(stream_range_has_tombstones(s, &last, NULL), 0);
    stream_free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_helpers),     cmocka_unit_test(test_idmap),
        cmocka_unit_test(test_node_layout),    cmocka_unit_test(test_node_limits_and_iteration),
        cmocka_unit_test(test_delete),         cmocka_unit_test(test_trim),
        cmocka_unit_test(test_groups_and_dup), cmocka_unit_test(test_lag_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
