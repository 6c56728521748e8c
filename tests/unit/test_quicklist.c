/* test_quicklist.c - quicklist against a plain array model, node limits,
 * iterator deletion, insertion into full nodes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/listpack.h"
#include "../../src/core/mem.h"
#include "../../src/core/quicklist.h"

/* ------------------------------------------------------------ model */

#define MODEL_MAX 4096

typedef struct model {
    char *v[MODEL_MAX];
    size_t n;
} model;

static void model_insert(model *m, size_t at, const char *s) {
    memmove(&m->v[at + 1], &m->v[at], (m->n - at) * sizeof(char *));
    m->v[at] = strdup(s);
    m->n++;
}

static void model_delete(model *m, size_t at) {
    free(m->v[at]);
    memmove(&m->v[at], &m->v[at + 1], (m->n - at - 1) * sizeof(char *));
    m->n--;
}

static void model_clear(model *m) {
    while (m->n)
        model_delete(m, m->n - 1);
}

static void entry_text(const quicklist_entry *e, char *buf, size_t cap) {
    if (e->str)
        snprintf(buf, cap, "%.*s", (int)e->len, (const char *)e->str);
    else
        snprintf(buf, cap, "%lld", e->ival);
}

/* Checks counts, node invariants and content both ways. */
static void check_same(quicklist *ql, const model *m) {
    assert_int_equal(quicklist_count(ql), m->n);
    unsigned long total = 0, nodes = 0;
    for (quicklist_node *n = ql->head; n; n = n->next) {
        assert_true(n->count > 0);
        assert_int_equal(n->count, lp_length(n->lp));
        if (n->next)
            assert_ptr_equal(n->next->prev, n);
        else
            assert_ptr_equal(ql->tail, n);
        total += n->count;
        nodes++;
    }
    assert_int_equal(total, m->n);
    assert_int_equal(nodes, ql->len);
    char buf[128];
    quicklist_iter it;
    quicklist_entry e;
    size_t i = 0;
    quicklist_iter_init(&it, ql, QUICKLIST_HEAD, 0);
    while (quicklist_next(&it, &e)) {
        entry_text(&e, buf, sizeof(buf));
        assert_string_equal(buf, m->v[i]);
        i++;
    }
    assert_int_equal(i, m->n);
    quicklist_iter_init(&it, ql, QUICKLIST_TAIL, -1);
    while (quicklist_next(&it, &e)) {
        i--;
        entry_text(&e, buf, sizeof(buf));
        assert_string_equal(buf, m->v[i]);
    }
    assert_int_equal(i, 0);
}

static void random_value(char *buf, size_t cap, unsigned *seed) {
    int kind = rand_r(seed) % 4;
    if (kind == 0)
        snprintf(buf, cap, "%d", rand_r(seed) % 1000 - 500);
    else if (kind == 1)
        snprintf(buf, cap, "%lld", (long long)rand_r(seed) * 100000LL);
    else {
        int len = rand_r(seed) % (kind == 2 ? 8 : 100);
        for (int i = 0; i < len; i++)
            buf[i] = (char)('a' + rand_r(seed) % 26);
        buf[len] = '\0';
    }
}

static void random_ops(int fill, unsigned seed, int rounds) {
    quicklist *ql = quicklist_create(fill, 0);
    static model m;
    char buf[128], got[128];
    for (int r = 0; r < rounds; r++) {
        int op = rand_r(&seed) % 9;
        random_value(buf, sizeof(buf), &seed);
        if (op <= 1 && m.n < MODEL_MAX - 1) {
            quicklist_push(ql, op == 0 ? QUICKLIST_HEAD : QUICKLIST_TAIL, buf, strlen(buf));
            model_insert(&m, op == 0 ? 0 : m.n, buf);
        } else if (op == 2 && m.n) {
            int where = rand_r(&seed) % 2;
            size_t len = 0;
            unsigned char *v = quicklist_pop(ql, where, &len);
            size_t at = where == QUICKLIST_HEAD ? 0 : m.n - 1;
            assert_non_null(v);
            assert_string_equal((char *)v, m.v[at]);
            assert_int_equal(len, strlen(m.v[at]));
            sk_free(v);
            model_delete(&m, at);
        } else if (op == 3 && m.n && m.n < MODEL_MAX - 1) {
            size_t at = (size_t)rand_r(&seed) % m.n;
            int after = rand_r(&seed) % 2;
            quicklist_entry e;
            assert_int_equal(quicklist_index(ql, (long)at, &e), 1);
            quicklist_insert(ql, &e, buf, strlen(buf), after);
            model_insert(&m, at + (size_t)after, buf);
        } else if (op == 4 && m.n) {
            size_t at = (size_t)rand_r(&seed) % m.n;
            long idx = rand_r(&seed) % 2 ? (long)at : (long)at - (long)m.n;
            assert_int_equal(quicklist_replace_at_index(ql, idx, buf, strlen(buf)), 1);
            free(m.v[at]);
            m.v[at] = strdup(buf);
        } else if (op == 5 && m.n) {
            size_t at = (size_t)rand_r(&seed) % m.n;
            unsigned long cnt = (unsigned long)(rand_r(&seed) % 40);
            unsigned long want = cnt > m.n - at ? m.n - at : cnt;
            assert_int_equal(quicklist_del_range(ql, (long)at, cnt), want);
            for (unsigned long i = 0; i < want; i++)
                model_delete(&m, at);
        } else if (op == 6 && m.n) {
            /* Delete every element equal to a random existing one, backwards. */
            char target[128];
            snprintf(target, sizeof(target), "%s", m.v[(size_t)rand_r(&seed) % m.n]);
            quicklist_iter it;
            quicklist_entry e;
            quicklist_iter_init(&it, ql, QUICKLIST_TAIL, -1);
            while (quicklist_next(&it, &e))
                if (quicklist_entry_equal(&e, target, strlen(target))) quicklist_iter_del(&it, &e);
            for (size_t i = m.n; i-- > 0;)
                if (!strcmp(m.v[i], target)) model_delete(&m, i);
        } else if (op == 7 && m.n) {
            size_t at = (size_t)rand_r(&seed) % m.n;
            quicklist_entry e;
            assert_int_equal(quicklist_index(ql, -(long)(m.n - at), &e), 1);
            entry_text(&e, got, sizeof(got));
            assert_string_equal(got, m.v[at]);
        } else if (op == 8) {
            quicklist_entry e;
            assert_int_equal(quicklist_index(ql, (long)m.n, &e), 0);
            assert_int_equal(quicklist_index(ql, -(long)m.n - 1, &e), 0);
        }
        if (r % 50 == 0) check_same(ql, &m);
    }
    check_same(ql, &m);
    quicklist *copy = quicklist_dup(ql);
    check_same(copy, &m);
    quicklist_free(copy);
    quicklist_free(ql);
    model_clear(&m);
}

/* ------------------------------------------------------------ tests */

static void test_random_byte_limits(void **state) {
    (void)state;
    random_ops(-1, 1, 4000);
    random_ops(-2, 2, 4000);
    random_ops(-5, 3, 3000);
    random_ops(-9, 4, 1000); /* beyond -5 behaves as -5 */
}

static void test_random_count_limits(void **state) {
    (void)state;
    random_ops(1, 5, 3000);
    random_ops(3, 6, 4000);
    random_ops(128, 7, 4000);
    random_ops(0, 8, 1000);
}

static void test_node_limits(void **state) {
    (void)state;
    quicklist *ql = quicklist_create(4, 0);
    for (int i = 0; i < 10; i++)
        quicklist_push(ql, QUICKLIST_TAIL, "x", 1);
    assert_int_equal(ql->len, 3); /* 4 + 4 + 2 */
    assert_int_equal(ql->head->count, 4);
    quicklist_free(ql);

    /* -1: 4 KiB per node; 100-byte strings take 102 bytes each. */
    ql = quicklist_create(-1, 1);
    char big[100];
    memset(big, 'b', sizeof(big));
    for (int i = 0; i < 100; i++)
        quicklist_push(ql, QUICKLIST_TAIL, big, sizeof(big));
    for (quicklist_node *n = ql->head; n; n = n->next)
        assert_true(lp_bytes(n->lp) <= 4096);
    assert_true(ql->len >= 3);
    assert_int_equal(ql->compress, 1);
    quicklist_free(ql);

    /* Positive fill still caps nodes at 8 KiB; a huge entry gets its own. */
    ql = quicklist_create(1000, 0);
    char *huge = sk_malloc(20000);
    memset(huge, 'h', 20000);
    quicklist_push(ql, QUICKLIST_TAIL, "a", 1);
    quicklist_push(ql, QUICKLIST_TAIL, huge, 20000);
    quicklist_push(ql, QUICKLIST_TAIL, "b", 1);
    assert_int_equal(ql->len, 3);
    quicklist_entry e;
    assert_int_equal(quicklist_index(ql, 1, &e), 1);
    assert_int_equal(e.len, 20000);
    sk_free(huge);
    quicklist_free(ql);
}

static void test_integers_and_equality(void **state) {
    (void)state;
    quicklist *ql = quicklist_create(-2, 0);
    quicklist_push(ql, QUICKLIST_TAIL, "12345", 5);
    quicklist_push(ql, QUICKLIST_TAIL, "012", 3);
    quicklist_push(ql, QUICKLIST_TAIL, "-9223372036854775808", 20);
    quicklist_entry e;
    assert_int_equal(quicklist_index(ql, 0, &e), 1);
    assert_null(e.str);
    assert_int_equal(e.ival, 12345);
    assert_true(quicklist_entry_equal(&e, "12345", 5));
    assert_false(quicklist_entry_equal(&e, "012345", 6));
    assert_int_equal(quicklist_index(ql, 1, &e), 1);
    assert_non_null(e.str); /* leading zero: stays a string */
    assert_true(quicklist_entry_equal(&e, "012", 3));
    assert_false(quicklist_entry_equal(&e, "12", 2));
    size_t len;
    unsigned char *v = quicklist_pop(ql, QUICKLIST_TAIL, &len);
    assert_string_equal((char *)v, "-9223372036854775808");
    sk_free(v);
    assert_true(quicklist_mem_usage(ql) > sizeof(quicklist));
    quicklist_free(ql);
    quicklist_free(NULL);
}

static void test_empty_and_pop(void **state) {
    (void)state;
    quicklist *ql = quicklist_create(-2, 0);
    size_t len = 7;
    assert_null(quicklist_pop(ql, QUICKLIST_HEAD, &len));
    quicklist_iter it;
    quicklist_entry e;
    assert_int_equal(quicklist_iter_init(&it, ql, QUICKLIST_HEAD, 0), 0);
    assert_int_equal(quicklist_next(&it, &e), 0);
    assert_int_equal(quicklist_del_range(ql, 0, 5), 0);
    quicklist_push(ql, QUICKLIST_HEAD, "a", 1);
    unsigned char *v = quicklist_pop(ql, QUICKLIST_HEAD, &len);
    assert_string_equal((char *)v, "a");
    sk_free(v);
    assert_null(ql->head);
    assert_null(ql->tail);
    assert_int_equal(ql->len, 0);
    quicklist_free(ql);
}

static void test_insert_split_full_node(void **state) {
    (void)state;
    quicklist *ql = quicklist_create(4, 0);
    static model m;
    const char *init[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    for (int i = 0; i < 8; i++) {
        quicklist_push(ql, QUICKLIST_TAIL, init[i], 1);
        model_insert(&m, m.n, init[i]);
    }
    quicklist_entry e;
    assert_int_equal(quicklist_index(ql, 1, &e), 1); /* middle of a full node */
    quicklist_insert(ql, &e, "X", 1, 1);
    model_insert(&m, 2, "X");
    check_same(ql, &m);
    assert_int_equal(quicklist_index(ql, 4, &e), 1); /* head of the second node */
    quicklist_insert(ql, &e, "Y", 1, 0);
    model_insert(&m, 4, "Y");
    check_same(ql, &m);
    assert_int_equal(quicklist_index(ql, -1, &e), 1);
    quicklist_insert(ql, &e, "Z", 1, 1);
    model_insert(&m, m.n, "Z");
    check_same(ql, &m);
    for (quicklist_node *n = ql->head; n; n = n->next)
        assert_true(n->count <= 4);
    quicklist_free(ql);
    model_clear(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_byte_limits), cmocka_unit_test(test_random_count_limits),
        cmocka_unit_test(test_node_limits),        cmocka_unit_test(test_integers_and_equality),
        cmocka_unit_test(test_empty_and_pop),      cmocka_unit_test(test_insert_split_full_node),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
