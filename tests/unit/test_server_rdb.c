/* test_server_rdb.c - RDB value serialization (rdb_value.c) with its
 * helpers crc64 and lzf: known vectors, the exact bytes Redis 7.0 writes,
 * round trips of every type and encoding, and a sweep of truncated and
 * bit-flipped payloads that must fail cleanly (run it under ASan).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../../src/core/crc64.h"
#include "../../src/core/err.h"
#include "../../src/core/lzf.h"
#include "../../src/core/quicklist.h"
#include "../../src/core/sbuf.h"
#include "../../src/server/config.h"
#include "../../src/server/rdb_value.h"
#include "../../src/server/t_hash.h"
#include "../../src/server/t_list.h"
#include "../../src/server/t_set.h"
#include "../../src/server/t_stream.h"
#include "../../src/server/t_zset.h"

static server srv;

static int setup_server(void **state) {
    (void)state;
    srv.cfg = config_create_defaults();
    obj_init_types();
    set_register_type();
    hash_register_type();
    zset_register_type();
    list_register_type();
    stream_register_type();
    return 0;
}

static int teardown_server(void **state) {
    (void)state;
    config_free(srv.cfg);
    return 0;
}

/* ------------------------------------------------------------ crc64, lzf */

static void test_crc64_check_value(void **state) {
    (void)state;
    assert_int_equal(crc64(0, "123456789", 9), 0xe9c6d914c4b8d9caULL);
    assert_int_equal(crc64(0, "", 0), 0);
    /* Incremental. */
    assert_int_equal(crc64(crc64(0, "1234", 4), "56789", 5), 0xe9c6d914c4b8d9caULL);
}

static void test_lzf_decompress(void **state) {
    (void)state;
    char out[16];
    /* literal "abc", then back reference: length 3+... (ctrl 0x20 = len 1 + 2),
     * offset 2 + 1 = 3. */
    const unsigned char ok[] = {0x02, 'a', 'b', 'c', 0x20, 0x02};
    assert_int_equal(lzf_decompress(ok, sizeof(ok), out, sizeof(out)), 6);
    assert_memory_equal(out, "abcabc", 6);
    /* Overlapping reference: "a" then copy 8 from offset 1. */
    const unsigned char run[] = {0x00, 'a', 0xc0, 0x00};
    assert_int_equal(lzf_decompress(run, sizeof(run), out, sizeof(out)), 9);
    assert_memory_equal(out, "aaaaaaaaa", 9);
    /* Reference before the start, literal past the input, output too small. */
    const unsigned char bad_ref[] = {0x00, 'a', 0x20, 0x05};
    assert_int_equal(lzf_decompress(bad_ref, sizeof(bad_ref), out, sizeof(out)), SK_EPROTO);
    const unsigned char short_lit[] = {0x05, 'a'};
    assert_int_equal(lzf_decompress(short_lit, sizeof(short_lit), out, sizeof(out)), SK_EPROTO);
    assert_int_equal(lzf_decompress(ok, sizeof(ok), out, 5), SK_ETOOBIG);
    const unsigned char cut_ref[] = {0x00, 'a', 0xe0};
    assert_int_equal(lzf_decompress(cut_ref, sizeof(cut_ref), out, sizeof(out)), SK_EPROTO);
}

/* -------------------------------------------------------------- primitives */

static void test_len_encoding(void **state) {
    (void)state;
    static const struct {
        uint64_t v;
        size_t n;
    } cases[] = {{0, 1},     {63, 1},         {64, 2},         {16383, 2},
                 {16384, 5}, {UINT32_MAX, 5}, {1ULL << 32, 9}, {UINT64_MAX, 9}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sbuf b;
        sbuf_init(&b);
        rdb_write_len(&b, cases[i].v);
        assert_int_equal(b.len, cases[i].n);
        rdb_reader r;
        uint64_t got;
        int enc;
        rdb_reader_init(&r, b.data, b.len);
        assert_int_equal(rdb_read_len(&r, &got, &enc), 0);
        assert_int_equal(got, cases[i].v);
        assert_int_equal(enc, 0);
        assert_int_equal(r.pos, b.len);
        /* One byte short fails. */
        rdb_reader_init(&r, b.data, b.len - 1);
        assert_int_equal(rdb_read_len(&r, &got, &enc), SK_EPROTO);
        sbuf_free(&b);
    }
    /* 14-bit form is big-endian: 300 = 0x41 0x2c. */
    sbuf b;
    sbuf_init(&b);
    rdb_write_len(&b, 300);
    assert_memory_equal(b.data, "\x41\x2c", 2);
    sbuf_free(&b);
}

static void check_string_bytes(const char *s, const char *want, size_t wantlen) {
    sbuf b;
    sbuf_init(&b);
    rdb_write_string(&b, s, strlen(s));
    assert_int_equal(b.len, wantlen);
    assert_memory_equal(b.data, want, wantlen);
    rdb_reader r;
    sstr got;
    rdb_reader_init(&r, b.data, b.len);
    assert_int_equal(rdb_read_string(&r, &got), 0);
    assert_string_equal(got, s);
    assert_int_equal(r.pos, b.len);
    sstr_free(got);
    sbuf_free(&b);
}

static void test_string_encoding(void **state) {
    (void)state;
    check_string_bytes("12", "\xc0\x0c", 2);
    check_string_bytes("-128", "\xc0\x80", 2);
    check_string_bytes("-30000", "\xc1\xd0\x8a", 3);
    check_string_bytes("2000000000", "\xc2\x00\x94\x35\x77", 5);
    check_string_bytes("-2147483648", "\xc2\x00\x00\x00\x80", 5);
    check_string_bytes("2147483648",
                       "\x0a"
                       "2147483648",
                       11); /* past int32 */
    check_string_bytes("0123",
                       "\x04"
                       "0123",
                       5); /* not canonical */
    check_string_bytes("-0", "\x02-0", 3);
    check_string_bytes("", "\x00", 1);
    check_string_bytes("abc",
                       "\x03"
                       "abc",
                       4);
}

static void test_lzf_string_read(void **state) {
    (void)state;
    /* 0xc3 <clen 6> <olen 6> "abcabc" compressed. */
    const unsigned char in[] = {0xc3, 0x06, 0x06, 0x02, 'a', 'b', 'c', 0x20, 0x02};
    rdb_reader r;
    sstr got;
    rdb_reader_init(&r, in, sizeof(in));
    assert_int_equal(rdb_read_string(&r, &got), 0);
    assert_int_equal(sstr_len(got), 6);
    assert_memory_equal(got, "abcabc", 6);
    sstr_free(got);
    /* Claimed size differs from the real one. */
    unsigned char lie[sizeof(in)];
    memcpy(lie, in, sizeof(in));
    lie[2] = 7;
    rdb_reader_init(&r, lie, sizeof(lie));
    assert_int_equal(rdb_read_string(&r, &got), SK_EPROTO);
}

/* ------------------------------------------------------------- round trips */

static sstr S(const char *s) {
    return sstr_from_cstr(s);
}

/* Dumps o, loads it back, dumps again: same bytes, same type/encoding. */
static sobj *roundtrip(sobj *o, int want_type) {
    sbuf a, b;
    sbuf_init(&a);
    sbuf_init(&b);
    assert_int_equal(rdb_dump_payload(&a, o), 0);
    assert_int_equal((unsigned char)a.data[0], want_type);
    assert_int_equal(rdb_verify_payload(a.data, a.len), 0);
    sobj *back = NULL;
    assert_int_equal(rdb_load_payload(&srv, a.data, a.len, &back), 0);
    assert_int_equal(back->type, o->type);
    assert_int_equal(back->encoding, o->encoding);
    assert_int_equal(rdb_dump_payload(&b, back), 0);
    if (o->encoding != OBJ_ENC_HT) { /* dict order is not the insertion order */
        assert_int_equal(b.len, a.len);
        assert_memory_equal(b.data, a.data, a.len);
    }
    sbuf_free(&a);
    sbuf_free(&b);
    return back;
}

static void test_roundtrip_strings(void **state) {
    (void)state;
    const char *vals[] = {"", "7", "-123456", "9000000000000000000", "hello", "0123"};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        sobj *o = obj_new_string(vals[i], strlen(vals[i]));
        sobj *back = roundtrip(o, RDB_TYPE_STRING);
        char b1[32], b2[32];
        size_t l1, l2;
        const char *p1 = obj_string_bytes(o, b1, &l1), *p2 = obj_string_bytes(back, b2, &l2);
        assert_int_equal(l1, l2);
        assert_memory_equal(p1, p2, l1);
        obj_release(o);
        obj_release(back);
    }
}

static void test_roundtrip_list(void **state) {
    (void)state;
    sobj *o = list_new_object(&srv);
    char buf[32];
    for (int i = 0; i < 3000; i++) {
        int n = snprintf(buf, sizeof(buf), i % 3 ? "item%d" : "%d", i);
        quicklist_push(o->ptr, QUICKLIST_TAIL, buf, (size_t)n);
    }
    sobj *back = roundtrip(o, RDB_TYPE_LIST_QUICKLIST_2);
    assert_int_equal(quicklist_count(back->ptr), 3000);
    quicklist_entry e;
    assert_int_equal(quicklist_index(back->ptr, 1, &e), 1);
    assert_int_equal(e.len, 5);
    assert_memory_equal(e.str, "item1", 5);
    obj_release(o);
    obj_release(back);
}

static void test_roundtrip_sets(void **state) {
    (void)state;
    sobj *is = set_create_intset(), *ht = set_create_ht();
    const char *m[] = {"1", "-40000", "5000000000"};
    for (int i = 0; i < 3; i++) {
        sstr s = S(m[i]);
        set_add(is, s, 512);
        set_add(ht, s, 512);
        sstr_free(s);
    }
    sstr x = S("abc");
    set_add(ht, x, 512);
    assert_int_equal(is->encoding, OBJ_ENC_INTSET);
    sobj *b1 = roundtrip(is, RDB_TYPE_SET_INTSET), *b2 = roundtrip(ht, RDB_TYPE_SET);
    assert_int_equal(set_size(b1), 3);
    assert_int_equal(set_size(b2), 4);
    assert_true(set_is_member(b2, x));
    sstr_free(x);
    obj_release(is);
    obj_release(ht);
    obj_release(b1);
    obj_release(b2);
}

static void test_roundtrip_zsets(void **state) {
    (void)state;
    sobj *small = zset_new(&srv, 3, 4), *big = zset_new(&srv, 200, 10);
    assert_int_equal(small->encoding, OBJ_ENC_LISTPACK);
    assert_int_equal(big->encoding, OBJ_ENC_SKIPLIST);
    char buf[32];
    int flags;
    for (int i = 0; i < 200; i++) {
        int n = snprintf(buf, sizeof(buf), "m%d", i);
        if (i < 3) zset_add(&srv, small, i * 0.5, buf, (size_t)n, 0, &flags, NULL);
        zset_add(&srv, big, i * 1.25 - 7, buf, (size_t)n, 0, &flags, NULL);
    }
    sobj *b1 = roundtrip(small, RDB_TYPE_ZSET_LISTPACK), *b2 = roundtrip(big, RDB_TYPE_ZSET_2);
    double score;
    assert_int_equal(zset_score(b1, "m2", 2, &score), 1);
    assert_true(score == 1.0);
    assert_int_equal(zset_score(b2, "m199", 4, &score), 1);
    assert_true(score == 199 * 1.25 - 7);
    assert_int_equal(zset_length(b2), 200);
    obj_release(small);
    obj_release(big);
    obj_release(b1);
    obj_release(b2);
}

static void test_roundtrip_hashes(void **state) {
    (void)state;
    sobj *small = hash_new(), *big = hash_new();
    char f[32], v[32];
    for (int i = 0; i < 600; i++) {
        snprintf(f, sizeof(f), "f%d", i);
        int vn = snprintf(v, sizeof(v), "%d", i * 7);
        sstr fs = S(f);
        if (i < 5) hash_set(&srv, small, fs, v, (size_t)vn);
        hash_set(&srv, big, fs, v, (size_t)vn);
        sstr_free(fs);
    }
    assert_int_equal(big->encoding, OBJ_ENC_HT);
    sobj *b1 = roundtrip(small, RDB_TYPE_HASH_LISTPACK), *b2 = roundtrip(big, RDB_TYPE_HASH);
    assert_int_equal(hash_length(b1), 5);
    assert_int_equal(hash_length(b2), 600);
    const char *val;
    size_t vlen;
    unsigned char ib[LP_INTBUF_SIZE];
    sstr key = S("f599");
    assert_int_equal(hash_get(b2, key, &val, &vlen, ib), 1);
    assert_int_equal(vlen, 4);
    assert_memory_equal(val, "4193", 4);
    sstr_free(key);
    obj_release(small);
    obj_release(big);
    obj_release(b1);
    obj_release(b2);
}

/* A stream of n entries (ids i-1, several nodes) with one group, two
 * consumers and a pending entry each. */
static sobj *make_stream(int n) {
    sobj *o = stream_new_object();
    stream *s = o->ptr;
    sstr fv[2] = {S("field"), S("value")};
    for (int i = 1; i <= n; i++) {
        stream_id id = {(uint64_t)i, 1};
        assert_int_equal(stream_append(s, fv, 1, &id, 4096, 100), 0);
    }
    sstr_free(fv[0]);
    sstr_free(fv[1]);
    stream_id zero = {0, 0}, one = {1, 1}, two = {2, 1};
    stream_cg *cg = stream_cg_create(s, "grp", 3, &zero, 0);
    stream_consumer *a = stream_consumer_create(cg, "alice", 5, 1000);
    stream_consumer *b = stream_consumer_create(cg, "bob", 3, 2000);
    stream_nack *na = stream_nack_new(a, 1234), *nb = stream_nack_new(b, 5678);
    stream_idmap_insert(&cg->pel, &one, na);
    stream_idmap_insert(&a->pel, &one, na);
    stream_idmap_insert(&cg->pel, &two, nb);
    stream_idmap_insert(&b->pel, &two, nb);
    cg->last_id = two;
    return o;
}

static void test_roundtrip_stream(void **state) {
    (void)state;
    sobj *o = make_stream(250);
    sobj *back = roundtrip(o, RDB_TYPE_STREAM_LISTPACKS_2);
    stream *s = back->ptr;
    assert_int_equal(s->length, 250);
    assert_int_equal(s->nodes.len, ((stream *)o->ptr)->nodes.len);
    assert_int_equal(s->last_id.ms, 250);
    assert_int_equal(s->ngroups, 1);
    stream_cg *cg = s->groups[0];
    assert_int_equal(cg->pel.len, 2);
    assert_int_equal(cg->nconsumers, 2);
    stream_nack *nb = cg->pel.e[1].val;
    assert_int_equal(nb->delivery_time, 5678);
    assert_string_equal(nb->consumer->name, "bob");
    obj_release(o);
    obj_release(back);
}

/* ------------------------------------------------------------- corruption */

static int load_body(const unsigned char *body, size_t len) {
    sbuf b;
    sbuf_init(&b);
    sbuf_append(&b, body, len);
    unsigned char footer[10] = {RDB_VERSION, 0};
    sbuf_append(&b, footer, 2);
    uint64_t crc = crc64(0, b.data, b.len);
    for (int i = 0; i < 8; i++)
        footer[i] = (unsigned char)(crc >> (8 * i));
    sbuf_append(&b, footer, 8);
    sobj *o = NULL;
    int rc = rdb_load_payload(&srv, b.data, b.len, &o);
    if (rc == 0) obj_release(o);
    sbuf_free(&b);
    return rc;
}

/* Every truncation of every type's payload body fails; every byte flip
 * either loads or fails, never crashes or leaks (ASan says). */
static void test_truncations_and_flips(void **state) {
    (void)state;
    sobj *objs[6];
    objs[0] = list_new_object(&srv);
    quicklist_push(objs[0]->ptr, QUICKLIST_TAIL, "abc", 3);
    quicklist_push(objs[0]->ptr, QUICKLIST_TAIL, "12", 2);
    objs[1] = set_create_intset();
    objs[2] = zset_new(&srv, 2, 2);
    objs[3] = hash_new();
    objs[4] = set_create_ht();
    objs[5] = make_stream(3);
    sstr a = S("a"), one = S("1");
    set_add(objs[1], one, 512);
    set_add(objs[4], a, 512);
    set_add(objs[4], one, 512);
    int flags;
    zset_add(&srv, objs[2], 1.5, "a", 1, 0, &flags, NULL);
    zset_add(&srv, objs[2], 2, "b", 1, 0, &flags, NULL);
    hash_set(&srv, objs[3], a, "v", 1);
    hash_set(&srv, objs[3], one, "2", 1);
    for (int k = 0; k < 6; k++) {
        sbuf b;
        sbuf_init(&b);
        assert_int_equal(rdb_write_typed_object(&b, objs[k]), 0);
        assert_int_equal(load_body((unsigned char *)b.data, b.len), 0);
        for (size_t cut = 0; cut < b.len; cut++)
            assert_int_not_equal(load_body((unsigned char *)b.data, cut), 0);
        for (size_t i = 0; i < b.len; i++) {
            for (int bit = 0; bit < 8; bit++) {
                b.data[i] ^= (char)(1 << bit);
                (void)load_body((unsigned char *)b.data, b.len);
                b.data[i] ^= (char)(1 << bit);
            }
        }
        sbuf_free(&b);
        obj_release(objs[k]);
    }
    sstr_free(a);
    sstr_free(one);
}

static void test_verify_payload(void **state) {
    (void)state;
    sobj *o = obj_new_string("hello", 5);
    sbuf b;
    sbuf_init(&b);
    assert_int_equal(rdb_dump_payload(&b, o), 0);
    /* type 0, len 5, "hello", version 10 0, crc */
    assert_int_equal(b.len, 1 + 1 + 5 + 10);
    assert_memory_equal(b.data, "\x00\x05hello\x0a\x00", 9);
    assert_int_equal(rdb_verify_payload(b.data, b.len), 0);
    b.data[3] ^= 1;
    assert_int_equal(rdb_verify_payload(b.data, b.len), SK_EPROTO);
    b.data[3] ^= 1;
    b.data[7] = 11; /* newer RDB version */
    assert_int_equal(rdb_verify_payload(b.data, b.len), SK_EPROTO);
    assert_int_equal(rdb_verify_payload(b.data, 9), SK_EPROTO);
    sbuf_free(&b);
    obj_release(o);
    /* Unsupported types: modules. */
    const unsigned char mod[] = {RDB_TYPE_MODULE_2, 0x00};
    assert_int_equal(load_body(mod, sizeof(mod)), SK_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc64_check_value), cmocka_unit_test(test_lzf_decompress),
        cmocka_unit_test(test_len_encoding),      cmocka_unit_test(test_string_encoding),
        cmocka_unit_test(test_lzf_string_read),   cmocka_unit_test(test_roundtrip_strings),
        cmocka_unit_test(test_roundtrip_list),    cmocka_unit_test(test_roundtrip_sets),
        cmocka_unit_test(test_roundtrip_zsets),   cmocka_unit_test(test_roundtrip_hashes),
        cmocka_unit_test(test_roundtrip_stream),  cmocka_unit_test(test_truncations_and_flips),
        cmocka_unit_test(test_verify_payload),
    };
    return cmocka_run_group_tests(tests, setup_server, teardown_server);
}
