/* test_server_zset.c - the sorted set skiplist (ranks, spans, ranges) and
 * the zset value layer in both encodings. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/listpack.h"
#include "../../src/server/t_zset.h"

/* Rank of each node by a level-0 walk, checked against the spans of every
 * level, plus the backward links and the length. */
static void check_invariants(const zskiplist *zsl) {
    unsigned long n = 0;
    const zsl_node *prev = NULL;
    for (const zsl_node *x = zsl->header->level[0].forward; x; x = x->level[0].forward) {
        n++;
        assert_ptr_equal(x->backward, prev);
        if (prev) {
            int ordered = prev->score < x->score || (prev->score == x->score &&
                                                     zset_cmp_member(prev->ele, sstr_len(prev->ele),
                                                                     x->ele, sstr_len(x->ele)) < 0);
            assert_true(ordered);
        }
        assert_int_equal(zsl_get_rank(zsl, x->score, x->ele, sstr_len(x->ele)), n);
        assert_ptr_equal(zsl_get_by_rank(zsl, n), x);
        prev = x;
    }
    assert_int_equal(n, zsl->length);
    assert_ptr_equal(zsl->tail, prev);
    for (int i = 0; i < zsl->level; i++) {
        unsigned long rank = 0;
        for (const zsl_node *x = zsl->header; x->level[i].forward; x = x->level[i].forward) {
            rank += x->level[i].span;
            const zsl_node *f = x->level[i].forward;
            assert_int_equal(zsl_get_rank(zsl, f->score, f->ele, sstr_len(f->ele)), rank);
        }
    }
}

static sstr mk(const char *s) {
    return sstr_from_cstr(s);
}

static int parse_sr(const char *a, const char *b, zscore_range *r) {
    sstr x = mk(a), y = mk(b);
    int rc = zscore_range_parse(x, y, r);
    sstr_free(x);
    sstr_free(y);
    return rc;
}

static zskiplist *build(int n) {
    zskiplist *zsl = zsl_create();
    char buf[32];
    for (int i = 0; i < n; i++) {
        snprintf(buf, sizeof(buf), "m%04d", (i * 7919) % n);
        zsl_insert(zsl, (double)((i * 7919) % n), mk(buf));
    }
    return zsl;
}

static void test_insert_rank_order(void **state) {
    (void)state;
    zskiplist *zsl = build(1000);
    check_invariants(zsl);
    assert_int_equal(zsl->length, 1000);
    zsl_node *x = zsl_get_by_rank(zsl, 1);
    assert_string_equal(x->ele, "m0000");
    x = zsl_get_by_rank(zsl, 1000);
    assert_string_equal(x->ele, "m0999");
    assert_null(zsl_get_by_rank(zsl, 0));
    assert_null(zsl_get_by_rank(zsl, 1001));
    assert_int_equal(zsl_get_rank(zsl, 500, "m0500", 5), 501);
    assert_int_equal(zsl_get_rank(zsl, 500, "m0501", 5), 0);
    zsl_free(zsl);
}

static void test_same_score_member_order(void **state) {
    (void)state;
    zskiplist *zsl = zsl_create();
    const char *names[] = {"b", "a", "ab", "", "ba", "a\xff"};
    for (size_t i = 0; i < 6; i++)
        zsl_insert(zsl, 1.0, sstr_new(names[i], strlen(names[i])));
    check_invariants(zsl);
    const char *want[] = {"", "a", "ab", "a\xff", "b", "ba"}; /* bytes unsigned */
    zsl_node *x = zsl->header->level[0].forward;
    for (size_t i = 0; i < 6; i++, x = x->level[0].forward)
        assert_string_equal(x->ele, want[i]);
    zsl_free(zsl);
}

static void test_unlink_and_update(void **state) {
    (void)state;
    zskiplist *zsl = build(300);
    for (int i = 0; i < 300; i += 3) {
        char buf[32];
        snprintf(buf, sizeof(buf), "m%04d", i);
        zsl_node *x = zsl_unlink(zsl, (double)i, buf, strlen(buf));
        assert_non_null(x);
        assert_string_equal(x->ele, buf);
        zsl_free_node(x);
    }
    assert_null(zsl_unlink(zsl, 0, "m0000", 5));
    assert_null(zsl_unlink(zsl, 2, "m0001", 5)); /* wrong score */
    assert_int_equal(zsl->length, 200);
    check_invariants(zsl);
    /* In place (stays between neighbours) and moving updates. */
    zsl_node *n = zsl_update_score(zsl, 1, "m0001", 5, 1.5);
    assert_non_null(n);
    assert_true(n->score == 1.5);
    sstr keep = n->ele;
    n = zsl_update_score(zsl, 1.5, "m0001", 5, 1000);
    assert_ptr_equal(n->ele, keep); /* the member sstr survives a move */
    assert_ptr_equal(zsl->tail, n);
    n = zsl_update_score(zsl, 1000, "m0001", 5, -5);
    assert_ptr_equal(zsl_get_by_rank(zsl, 1), n);
    assert_null(zsl_update_score(zsl, 7, "m0001", 5, 8));
    check_invariants(zsl);
    zsl_free(zsl);
}

static void test_score_ranges(void **state) {
    (void)state;
    zskiplist *zsl = build(100); /* scores 0..99 */
    zscore_range r;
    unsigned long rank = 0;
    assert_int_equal(parse_sr("(10", "20", &r), 0);
    zsl_node *x = zsl_first_in_range(zsl, &r, &rank);
    assert_true(x->score == 11);
    assert_int_equal(rank, 12);
    x = zsl_last_in_range(zsl, &r, &rank);
    assert_true(x->score == 20);
    assert_int_equal(rank, 21);
    assert_int_equal(parse_sr("-inf", "(0", &r), 0);
    assert_null(zsl_first_in_range(zsl, &r, &rank));
    assert_int_equal(parse_sr("99", "+inf", &r), 0);
    assert_non_null(zsl_first_in_range(zsl, &r, &rank));
    assert_int_equal(rank, 100);
    assert_int_equal(parse_sr("5", "(5", &r), 0);
    assert_true(zscore_range_empty(&r));
    assert_null(zsl_first_in_range(zsl, &r, NULL));
    assert_int_equal(parse_sr("50.5", "50.7", &r), 0);
    assert_null(zsl_first_in_range(zsl, &r, NULL));
    assert_null(zsl_last_in_range(zsl, &r, NULL));
    assert_int_equal(parse_sr("x", "1", &r), -1);
    assert_int_equal(parse_sr("1", "nan", &r), -1);
    assert_int_equal(parse_sr("(1x", "1", &r), -1);
    assert_int_equal(parse_sr("", "(", &r), 0); /* strtod: both 0 */
    zsl_free(zsl);
}

static void test_lex_ranges(void **state) {
    (void)state;
    zskiplist *zsl = zsl_create();
    const char *names[] = {"a", "b", "c", "d", "e"};
    for (size_t i = 0; i < 5; i++)
        zsl_insert(zsl, 0, mk(names[i]));
    zlex_range r;
    unsigned long rank;
    sstr lo = mk("(a"), hi = mk("[d"), minus = mk("-"), plus = mk("+");
    assert_int_equal(zlex_range_parse(lo, hi, &r), 0);
    assert_string_equal(zsl_first_in_lex_range(zsl, &r, &rank)->ele, "b");
    assert_int_equal(rank, 2);
    assert_string_equal(zsl_last_in_lex_range(zsl, &r, &rank)->ele, "d");
    assert_int_equal(rank, 4);
    assert_int_equal(zlex_range_parse(minus, plus, &r), 0);
    assert_false(zlex_range_empty(&r));
    assert_int_equal(zlex_range_parse(plus, minus, &r), 0);
    assert_true(zlex_range_empty(&r));
    assert_int_equal(zlex_range_parse(plus, plus, &r), 0);
    assert_true(zlex_range_empty(&r));
    sstr bad1 = mk("a"), bad2 = mk("++"), empty = sstr_empty();
    assert_int_equal(zlex_range_parse(bad1, plus, &r), -1);
    assert_int_equal(zlex_range_parse(minus, bad2, &r), -1);
    assert_int_equal(zlex_range_parse(empty, plus, &r), -1);
    sstr_free(lo);
    sstr_free(hi);
    sstr_free(minus);
    sstr_free(plus);
    sstr_free(bad1);
    sstr_free(bad2);
    sstr_free(empty);
    zsl_free(zsl);
}

static uint64_t sstr_hash(const void *k) {
    return dict_hash_sstr(k);
}

static void test_delete_range_by_rank(void **state) {
    (void)state;
    static const dict_type dt = {sstr_hash, dict_sstr_equal, NULL, NULL};
    zskiplist *zsl = build(200);
    dict *d = dict_create(&dt);
    for (zsl_node *x = zsl->header->level[0].forward; x; x = x->level[0].forward)
        dict_add(d, x->ele, x);
    assert_int_equal(zsl_delete_range_by_rank(zsl, 10, 19, d), 10);
    assert_int_equal(zsl->length, 190);
    assert_int_equal(dict_size(d), 190);
    check_invariants(zsl);
    assert_true(zsl_get_by_rank(zsl, 10)->score == 19);
    assert_int_equal(zsl_delete_range_by_rank(zsl, 185, 500, d), 6);
    assert_int_equal(zsl_delete_range_by_rank(zsl, 1, 184, d), 184);
    assert_int_equal(zsl->length, 0);
    assert_null(zsl->tail);
    assert_int_equal(zsl->level, 1);
    dict_release(d);
    zsl_free(zsl);
}

/* Random operations against a sorted array model. */
static void test_random_against_model(void **state) {
    (void)state;
    enum { N = 400 };
    double model[N];
    int present[N] = {0};
    zskiplist *zsl = zsl_create();
    srand(12345);
    for (int step = 0; step < 4000; step++) {
        int m = rand() % N;
        char buf[16];
        snprintf(buf, sizeof(buf), "k%d", m);
        double s = (double)(rand() % 50);
        if (!present[m]) {
            zsl_insert(zsl, s, mk(buf));
            present[m] = 1;
            model[m] = s;
        } else if (rand() % 2) {
            zsl_node *x = zsl_update_score(zsl, model[m], buf, strlen(buf), s);
            assert_non_null(x);
            model[m] = s;
        } else {
            zsl_free_node(zsl_unlink(zsl, model[m], buf, strlen(buf)));
            present[m] = 0;
        }
        if (step % 500 == 0) check_invariants(zsl);
    }
    check_invariants(zsl);
    unsigned long count = 0;
    for (int m = 0; m < N; m++)
        count += (unsigned long)present[m];
    assert_int_equal(zsl->length, count);
    zsl_free(zsl);
}

/* ------------------------------------------------------------ values */

static void fill(sobj *o, int n) {
    char buf[16];
    for (int i = 0; i < n; i++) {
        int out;
        snprintf(buf, sizeof(buf), "m%d", i);
        assert_int_equal(zset_add(NULL, o, (double)(n - i), buf, strlen(buf), 0, &out, NULL), 1);
        assert_int_equal(out, ZADD_OUT_ADDED);
    }
}

static void check_value(sobj *o, int n) {
    assert_int_equal(zset_length(o), (unsigned long)n);
    zset_iter it;
    zset_elem e;
    double last = -INFINITY;
    unsigned long k = 0;
    zset_iter_init(&it, o, 0, 0);
    while (zset_iter_next(&it, &e)) {
        assert_true(e.score >= last);
        last = e.score;
        char buf[16];
        snprintf(buf, sizeof(buf), "m%d", n - (int)e.score);
        assert_int_equal(e.len, strlen(buf));
        assert_memory_equal(e.p, buf, e.len);
        assert_int_equal(zset_rank(o, e.p, e.len, 0), (long)k);
        assert_int_equal(zset_rank(o, e.p, e.len, 1), (long)(n - 1 - (long)k));
        k++;
    }
    assert_int_equal(k, (unsigned long)n);
}

static void test_value_listpack_to_skiplist(void **state) {
    (void)state;
    sobj *o = zset_new(NULL, 1, 1);
    assert_int_equal(o->encoding, OBJ_ENC_LISTPACK);
    fill(o, 128);
    assert_int_equal(o->encoding, OBJ_ENC_LISTPACK);
    check_value(o, 128);
    int out;
    double ns;
    assert_int_equal(zset_add(NULL, o, 0.5, "m128x", 5, 0, &out, &ns), 1);
    assert_int_equal(o->encoding, OBJ_ENC_SKIPLIST);
    assert_int_equal(zset_del(o, "m128x", 5), 1);
    check_value(o, 128);
    obj_release(o);
}

static void test_value_flags(void **state) {
    (void)state;
    for (int big = 0; big < 2; big++) {
        sobj *o = zset_new(NULL, big ? 1000 : 1, 1);
        int out;
        double ns = 0, score;
        zset_add(NULL, o, 5, "a", 1, 0, &out, &ns);
        assert_int_equal(zset_add(NULL, o, 9, "a", 1, ZADD_IN_NX, &out, &ns), 1);
        assert_int_equal(out, ZADD_OUT_NOP);
        assert_int_equal(zset_add(NULL, o, 1, "b", 1, ZADD_IN_XX, &out, &ns), 1);
        assert_int_equal(out, ZADD_OUT_NOP);
        assert_int_equal(zset_add(NULL, o, 3, "a", 1, ZADD_IN_GT, &out, &ns), 1);
        assert_int_equal(out, ZADD_OUT_NOP);
        assert_int_equal(zset_add(NULL, o, 3, "a", 1, ZADD_IN_LT, &out, &ns), 1);
        assert_int_equal(out, ZADD_OUT_UPDATED);
        assert_int_equal(zset_add(NULL, o, 2, "a", 1, ZADD_IN_INCR, &out, &ns), 1);
        assert_true(ns == 5);
        assert_int_equal(zset_add(NULL, o, INFINITY, "i", 1, 0, &out, &ns), 1);
        assert_int_equal(zset_add(NULL, o, -INFINITY, "i", 1, ZADD_IN_INCR, &out, &ns), 0);
        assert_int_equal(out, ZADD_OUT_NAN);
        assert_int_equal(zset_add(NULL, o, NAN, "j", 1, 0, &out, &ns), 0);
        assert_int_equal(zset_score(o, "a", 1, &score), 1);
        assert_true(score == 5);
        assert_int_equal(zset_score(o, "zz", 2, &score), 0);
        assert_int_equal(zset_del(o, "zz", 2), 0);
        assert_int_equal(zset_del(o, "a", 1), 1);
        assert_int_equal(zset_length(o), 1);
        assert_int_equal(zset_rank(o, "a", 1, 0), -1);
        obj_release(o);
    }
}

static void test_value_dup_and_reverse(void **state) {
    (void)state;
    sobj *o = zset_new(NULL, 1000, 0);
    assert_int_equal(o->encoding, OBJ_ENC_SKIPLIST);
    fill(o, 300);
    const obj_type_ops *ops = obj_type_get(OBJ_ZSET);
    assert_non_null(ops);
    assert_string_equal(ops->name, "zset");
    sobj *copy = ops->dup(o);
    check_value(copy, 300);
    assert_true(ops->mem_usage(copy) > 300 * 16);
    zset_iter it;
    zset_elem e;
    zset_iter_init(&it, copy, 5, 1); /* 6th from the top */
    assert_int_equal(zset_iter_next(&it, &e), 1);
    assert_true(e.score == 295);
    obj_release(copy);
    obj_release(o);
    /* listpack reverse iteration and integer-looking members */
    sobj *lp = zset_new(NULL, 1, 1);
    int out;
    zset_add(NULL, lp, 1, "10", 2, 0, &out, NULL);
    zset_add(NULL, lp, 2, "x", 1, 0, &out, NULL);
    zset_add(NULL, lp, -0.0, "z", 1, 0, &out, NULL);
    zset_iter_init(&it, lp, 0, 1);
    assert_int_equal(zset_iter_next(&it, &e), 1);
    assert_memory_equal(e.p, "x", 1);
    assert_int_equal(zset_iter_next(&it, &e), 1);
    assert_int_equal(e.len, 2);
    assert_memory_equal(e.p, "10", 2);
    assert_true(e.score == 1);
    assert_int_equal(zset_iter_next(&it, &e), 1);
    assert_false(signbit(e.score)); /* listpack stores -0 as integer 0, as Redis */
    assert_int_equal(zset_iter_next(&it, &e), 0);
    /* The listpack bytes are member, score pairs with integral scores as ints. */
    unsigned char *p = lp_seek(lp->ptr, 1);
    int64_t iv;
    assert_int_equal(lp_get_int(p, &iv), 1);
    assert_int_equal(iv, 0);
    obj_release(lp);
}

/* Values are freed through the type table. */
static int setup_types(void **state) {
    (void)state;
    zset_register_type();
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_insert_rank_order),
        cmocka_unit_test(test_same_score_member_order),
        cmocka_unit_test(test_unlink_and_update),
        cmocka_unit_test(test_score_ranges),
        cmocka_unit_test(test_lex_ranges),
        cmocka_unit_test(test_delete_range_by_rank),
        cmocka_unit_test(test_random_against_model),
        cmocka_unit_test(test_value_listpack_to_skiplist),
        cmocka_unit_test(test_value_flags),
        cmocka_unit_test(test_value_dup_and_reverse),
    };
    return cmocka_run_group_tests(tests, setup_types, NULL);
}
