/* test_server_db.c - values (object.c), the keyspace (db.c) and a few
 * string / keyspace commands (cmd_string.c, cmd_keys.c) on a real server
 * without TCP listeners. Time is driven by hand through srv->mstime, the
 * clock the keyspace uses for expiry, so expiry tests need no sleeping.
 */
/* cmocka needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../src/core/mem.h"
#include "server_fixture.h"
#include "../../src/server/config.h"
#include "../../src/server/server.h"
#include "../../src/server/server_main.h"

static server *srv;

static int setup(void **state) {
    (void)state;
    srv = fixture_server_create("db");
    return srv ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    server_destroy(srv);
    srv = NULL;
    return 0;
}

static sdb *db0(void) {
    return &srv->dbs[0];
}

/* A key as the keyspace API takes it; freed by the caller. */
static sstr K(const char *s) {
    return sstr_from_cstr(s);
}

static const char *run(client *c, const char *line) {
    return fixture_run(srv, c, line, 0);
}

static void add_string(sdb *db, const char *key, const char *val) {
    sstr k = K(key);
    db_add(srv, db, k, obj_new_string(val, strlen(val)));
    sstr_free(k);
}

static long long ttl_of(sdb *db, const char *key) {
    sstr k = K(key);
    long long t = db_get_expire(db, k);
    sstr_free(k);
    return t;
}

static int present(sdb *db, const char *key) {
    sstr k = K(key);
    int r = dict_find(db->keys, k) != NULL;
    sstr_free(k);
    return r;
}

/* ------------------------------------------------------------- objects */

static void test_string_encodings(void **state) {
    (void)state;
    static const struct {
        const char *text;
        int enc;
    } cases[] = {
        {"0", OBJ_ENC_INT},
        {"12345", OBJ_ENC_INT},
        {"-9223372036854775808", OBJ_ENC_INT},
        {"9223372036854775807", OBJ_ENC_INT},
        {"9223372036854775808", OBJ_ENC_EMBSTR}, /* out of range */
        {"-0", OBJ_ENC_EMBSTR},                  /* not canonical */
        {"01", OBJ_ENC_EMBSTR},
        {" 1", OBJ_ENC_EMBSTR},
        {"1.5", OBJ_ENC_EMBSTR},
        {"", OBJ_ENC_EMBSTR},
        {"hello", OBJ_ENC_EMBSTR},
        {"12345678901234567890123456789012345678901234", OBJ_ENC_EMBSTR}, /* 44 */
        {"123456789012345678901234567890123456789012345", OBJ_ENC_RAW},   /* 45 */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sobj *o = obj_new_string(cases[i].text, strlen(cases[i].text));
        assert_string_equal(obj_encoding_name(o->encoding), obj_encoding_name(cases[i].enc));
        char buf[32];
        size_t len;
        const char *p = obj_string_bytes(o, buf, &len);
        assert_int_equal(len, strlen(cases[i].text));
        assert_memory_equal(p, cases[i].text, len);
        assert_int_equal(obj_string_len(o), strlen(cases[i].text));
        assert_string_equal(obj_type_name(o), "string");
        obj_release(o);
    }
    sobj *raw = obj_new_raw_string("7", 1);
    assert_int_equal(raw->encoding, OBJ_ENC_RAW);
    obj_release(raw);
    sobj *f = obj_new_string_noint("3", 1);
    assert_int_equal(f->encoding, OBJ_ENC_EMBSTR);
    obj_release(f);
}

static void test_shared_integers(void **state) {
    (void)state;
    sobj *a = obj_new_string("42", 2), *b = obj_new_string_ll(42);
    assert_ptr_equal(a, b);
    assert_int_equal(a->refcount, OBJ_SHARED_REFCOUNT);
    obj_retain(a);
    obj_release(a);
    obj_release(a);
    obj_release(b);
    assert_int_equal(a->refcount, OBJ_SHARED_REFCOUNT); /* never freed */
    sobj *big = obj_new_string_ll(OBJ_SHARED_INTEGERS);
    assert_int_equal(big->refcount, 1);
    obj_release(big);
    sobj *neg = obj_new_string_ll(-1);
    assert_int_equal(neg->refcount, 1);
    obj_release(neg);

    /* An LRU/LFU policy with maxmemory needs a private clock per key. */
    srv->cfg->maxmemory = 1 << 20;
    srv->cfg->maxmemory_policy = MAXMEMORY_ALLKEYS_LRU;
    obj_apply_config(srv);
    sobj *p = obj_new_string("42", 2);
    assert_int_equal(p->refcount, 1);
    assert_int_equal(p->encoding, OBJ_ENC_INT);
    obj_release(p);
    srv->cfg->maxmemory_policy = MAXMEMORY_NO_EVICTION;
    obj_apply_config(srv);
    p = obj_new_string("42", 2);
    assert_int_equal(p->refcount, OBJ_SHARED_REFCOUNT);
    srv->cfg->maxmemory = 0;
    obj_apply_config(srv);
}

static void test_try_encode_and_unshare(void **state) {
    (void)state;
    sobj *o = obj_try_encode(obj_new_raw_string("77", 2));
    assert_int_equal(o->refcount, OBJ_SHARED_REFCOUNT);
    sobj *big = obj_try_encode(obj_new_raw_string("123456", 6));
    assert_int_equal(big->encoding, OBJ_ENC_INT);
    assert_int_equal(big->ival, 123456);
    sobj *emb = obj_try_encode(obj_new_raw_string("abc", 3));
    assert_int_equal(emb->encoding, OBJ_ENC_EMBSTR);

    /* Unsharing gives a private raw copy; the original is left to the caller. */
    sobj *u = obj_unshare_string(emb);
    assert_ptr_not_equal(u, emb);
    assert_int_equal(u->encoding, OBJ_ENC_RAW);
    assert_string_equal(u->ptr, "abc");
    assert_ptr_equal(obj_unshare_string(u), u);
    sobj *ui = obj_unshare_string(big);
    assert_string_equal(ui->ptr, "123456");

    long long ll;
    long double ld;
    assert_int_equal(obj_get_ll(big, &ll), 1);
    assert_int_equal(ll, 123456);
    assert_int_equal(obj_get_ll(u, &ll), 0);
    assert_int_equal(obj_get_ld(ui, &ld), 1);
    assert_true(ld == 123456.0L);
    assert_true(obj_mem_usage(u) > sizeof(sobj));

    sobj *d = obj_dup(big);
    assert_int_equal(d->encoding, OBJ_ENC_INT);
    assert_int_equal(d->refcount, 1);
    obj_release(d);
    obj_release(ui);
    obj_release(u);
    obj_release(emb);
    obj_release(big);
}

static void test_lfu_counter(void **state) {
    (void)state;
    srv->cfg->maxmemory_policy = MAXMEMORY_ALLKEYS_LFU;
    obj_apply_config(srv);
    server_update_time(srv);
    sobj *o = obj_new_string("hello", 5);
    assert_int_equal(obj_lfu_counter(srv, o), 5); /* LFU_INIT_VAL */
    for (int i = 0; i < 100; i++)
        obj_touch(srv, o);
    unsigned hot = obj_lfu_counter(srv, o);
    assert_true(hot > 5 && hot < 255);
    /* Decays by one per lfu-decay-time minute without access. */
    srv->mstime += 3 * 60 * 1000;
    assert_int_equal(obj_lfu_counter(srv, o), hot - 3);
    obj_release(o);
    srv->cfg->maxmemory_policy = MAXMEMORY_NO_EVICTION;
    obj_apply_config(srv);
}

/* ------------------------------------------------------------ keyspace */

static void test_add_overwrite_delete(void **state) {
    (void)state;
    client *c = client_create(srv, NULL, CLIENT_FAKE);
    sstr k = K("k");
    add_string(db0(), "k", "v1");
    assert_int_equal(db_size(db0()), 1);
    uint64_t hits = srv->stat_keyspace_hits, misses = srv->stat_keyspace_misses;
    sobj *o = db_lookup_read(c, k);
    assert_non_null(o);
    assert_string_equal(o->ptr, "v1");
    assert_int_equal(srv->stat_keyspace_hits, hits + 1);
    sstr nk = K("nokey");
    assert_null(db_lookup_read(c, nk));
    assert_int_equal(srv->stat_keyspace_misses, misses + 1);
    assert_null(db_lookup_write(c, nk)); /* write lookups count nothing */
    assert_int_equal(srv->stat_keyspace_misses, misses + 1);

    db_overwrite(srv, db0(), k, obj_new_string("v2", 2));
    assert_string_equal(((sobj *)db_lookup_read(c, k))->ptr, "v2");
    assert_int_equal(db_exists(srv, db0(), k), 1);
    assert_int_equal(db_delete(srv, db0(), k), 1);
    assert_int_equal(db_delete(srv, db0(), k), 0);
    assert_int_equal(db_exists(srv, db0(), k), 0);
    assert_int_equal(db_size(db0()), 0);

    /* db_set_key adds, replaces, and drops the TTL unless asked to keep it. */
    db_set_key(c, db0(), k, obj_new_string("a", 1), 0);
    db_set_expire(srv, db0(), k, srv->mstime + 10000);
    db_set_key(c, db0(), k, obj_new_string("b", 1), 1);
    assert_int_equal(db_get_expire(db0(), k), srv->mstime + 10000);
    db_set_key(c, db0(), k, obj_new_string("c", 1), 0);
    assert_int_equal(db_get_expire(db0(), k), -1);
    assert_int_equal(db_size(db0()), 1);
    sstr_free(nk);
    sstr_free(k);
    client_free(c);
}

static void test_ttl_set_remove(void **state) {
    (void)state;
    add_string(db0(), "t", "v");
    sstr k = K("t");
    assert_int_equal(db_get_expire(db0(), k), -1);
    db_set_expire(srv, db0(), k, 5000000000000LL);
    assert_int_equal(db_get_expire(db0(), k), 5000000000000LL);
    db_set_expire(srv, db0(), k, 6000000000000LL); /* replaces */
    assert_int_equal(db_get_expire(db0(), k), 6000000000000LL);
    assert_int_equal(dict_size(db0()->expires), 1);
    assert_int_equal(db_remove_expire(db0(), k), 1);
    assert_int_equal(db_remove_expire(db0(), k), 0);
    assert_int_equal(db_get_expire(db0(), k), -1);
    /* Deleting a key with a TTL removes its expires entry too. */
    db_set_expire(srv, db0(), k, 6000000000000LL);
    assert_int_equal(db_delete(srv, db0(), k), 1);
    assert_int_equal(dict_size(db0()->expires), 0);
    sstr_free(k);
}

static void test_lazy_expiry(void **state) {
    (void)state;
    client *c = client_create(srv, NULL, CLIENT_FAKE);
    long long now = srv->mstime;
    add_string(db0(), "e", "v");
    sstr k = K("e");
    db_set_expire(srv, db0(), k, now + 100);
    srv->mstime = now + 100; /* expired only once now > when */
    assert_non_null(db_lookup_read(c, k));
    uint64_t expired = srv->stat_expiredkeys;
    srv->mstime = now + 101;
    assert_int_equal(db_key_is_expired(srv, db0(), k), 1);
    assert_int_equal(present(db0(), "e"), 1); /* nothing deleted yet */
    assert_null(db_lookup_read(c, k));
    assert_int_equal(present(db0(), "e"), 0);
    assert_int_equal(dict_size(db0()->expires), 0);
    assert_int_equal(srv->stat_expiredkeys, expired + 1);
    sstr_free(k);
    client_free(c);
}

static void test_active_expiry(void **state) {
    (void)state;
    long long now = srv->mstime;
    char name[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(name, sizeof(name), "key:%d", i);
        add_string(db0(), name, "v");
        sstr k = K(name);
        if (i % 3 == 0)
            db_set_expire(srv, db0(), k, now + 50); /* will expire */
        else if (i % 3 == 1)
            db_set_expire(srv, db0(), k, now + 1000000); /* lives */
        sstr_free(k);
    }
    /* A few in another db too. */
    add_string(&srv->dbs[3], "other", "v");
    sstr ok = K("other");
    db_set_expire(srv, &srv->dbs[3], ok, now + 50);
    sstr_free(ok);

    srv->mstime = now + 100;
    int cycles = 0;
    while ((db_size(db0()) > 2000 || db_size(&srv->dbs[3]) > 0) && cycles < 200) {
        db_active_expire_cycle(srv, 100000);
        cycles++;
    }
    assert_int_equal(db_size(db0()), 2000);
    assert_int_equal(db_size(&srv->dbs[3]), 0);
    assert_int_equal(dict_size(db0()->expires), 1000);
    assert_true(cycles < 200);
    for (int i = 0; i < 3000; i++) {
        snprintf(name, sizeof(name), "key:%d", i);
        assert_int_equal(present(db0(), name), i % 3 != 0);
    }
    assert_true(db0()->avg_ttl > 0);
}

static void test_random_key(void **state) {
    (void)state;
    assert_null(db_random_key(srv, db0()));
    long long now = srv->mstime;
    char name[32];
    for (int i = 0; i < 50; i++) {
        snprintf(name, sizeof(name), "gone:%d", i);
        add_string(db0(), name, "v");
        sstr k = K(name);
        db_set_expire(srv, db0(), k, now - 1);
        sstr_free(k);
    }
    add_string(db0(), "alive", "v");
    for (int i = 0; i < 20; i++) {
        sstr r = db_random_key(srv, db0());
        assert_non_null(r);
        assert_string_equal(r, "alive");
        sstr_free(r);
    }
    sstr k = K("alive");
    db_delete(srv, db0(), k);
    sstr_free(k);
    sstr r = db_random_key(srv, db0());
    assert_null(r);
    assert_int_equal(db_size(db0()), 0); /* the expired ones went on the way */
}

static void test_swap_and_empty(void **state) {
    (void)state;
    add_string(&srv->dbs[0], "a", "1");
    add_string(&srv->dbs[1], "b", "2");
    sstr kb = K("b");
    db_set_expire(srv, &srv->dbs[1], kb, srv->mstime + 5000);
    dict *w0 = srv->dbs[0].watched, *w1 = srv->dbs[1].watched;
    assert_int_equal(db_swap(srv, 0, 1), 0);
    assert_int_equal(present(&srv->dbs[0], "b"), 1);
    assert_int_equal(present(&srv->dbs[1], "a"), 1);
    assert_int_equal(present(&srv->dbs[0], "a"), 0);
    assert_int_equal(ttl_of(&srv->dbs[0], "b"), srv->mstime + 5000);
    assert_ptr_equal(srv->dbs[0].watched, w0); /* watches stay with the number */
    assert_ptr_equal(srv->dbs[1].watched, w1);
    assert_int_equal(srv->dbs[0].id, 0);
    assert_int_not_equal(db_swap(srv, 0, srv->dbnum), 0);
    assert_int_equal(db_swap(srv, 2, 2), 0);

    db_empty(srv, &srv->dbs[0]);
    assert_int_equal(db_size(&srv->dbs[0]), 0);
    assert_int_equal(dict_size(srv->dbs[0].expires), 0);
    assert_int_equal(db_size(&srv->dbs[1]), 1);
    sstr_free(kb);
}

/* ------------------------------------------------------------ commands */

static void test_string_commands(void **state) {
    (void)state;
    server_update_time(srv);
    client *c = client_create(srv, NULL, CLIENT_FAKE);
    assert_string_equal(run(c, "SET k hello"), "+OK\r\n");
    assert_string_equal(run(c, "GET k"), "$5\r\nhello\r\n");
    assert_string_equal(run(c, "SET k v NX XX"), "-ERR syntax error\r\n");
    assert_string_equal(run(c, "SET k v EX 0"), "-ERR invalid expire time in 'set' command\r\n");
    assert_string_equal(run(c, "SET k world XX GET"), "$5\r\nhello\r\n");
    assert_string_equal(run(c, "SETNX k x"), ":0\r\n");
    assert_string_equal(run(c, "APPEND k !"), ":6\r\n");
    assert_string_equal(run(c, "OBJECT ENCODING k"), "$3\r\nraw\r\n");
    assert_string_equal(run(c, "INCR k"), "-ERR value is not an integer or out of range\r\n");
    assert_string_equal(run(c, "INCRBY n 9223372036854775807"), ":9223372036854775807\r\n");
    assert_string_equal(run(c, "INCR n"), "-ERR increment or decrement would overflow\r\n");
    assert_string_equal(run(c, "DECRBY n -9223372036854775808"),
                        "-ERR decrement would overflow\r\n");
    assert_string_equal(run(c, "INCRBYFLOAT f 1.5"), "$3\r\n1.5\r\n");
    assert_string_equal(run(c, "INCRBYFLOAT f 1.5"), "$1\r\n3\r\n");
    assert_string_equal(run(c, "OBJECT ENCODING f"), "$6\r\nembstr\r\n");
    assert_string_equal(run(c, "SETRANGE r 2 ab"), ":4\r\n");
    const char *got = run(c, "GETRANGE r 0 -1");
    assert_memory_equal(got, "$4\r\n\0\0ab\r\n", 10);
    assert_string_equal(run(c, "SETRANGE r -1 x"), "-ERR offset is out of range\r\n");
    assert_string_equal(run(c, "SETRANGE r 536870911 xx"),
                        "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n");
    assert_string_equal(run(c, "MSET a 1 b"),
                        "-ERR wrong number of arguments for 'mset' command\r\n");
    assert_string_equal(run(c, "MSET a 1 b 2"), "+OK\r\n");
    assert_string_equal(run(c, "MGET a nokey b"), "*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n");
    assert_string_equal(run(c, "SET x ohmytext"), "+OK\r\n");
    assert_string_equal(run(c, "SET y mynewtext"), "+OK\r\n");
    assert_string_equal(run(c, "LCS x y"), "$6\r\nmytext\r\n");
    assert_string_equal(run(c, "LCS x y IDX MINMATCHLEN 4 WITHMATCHLEN"),
                        "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n"
                        ":4\r\n$3\r\nlen\r\n:6\r\n");
    client_free(c);
}

static void noop_free(sobj *o) {
    (void)o;
}

/* A stand-in list type whose values hold nothing (the real list family may
 * not be linked, or would not expect a NULL ptr). */
static const obj_type_ops fake_list_ops = {"list", noop_free, NULL, NULL};

static void test_wrongtype_and_expire_commands(void **state) {
    (void)state;
    server_update_time(srv);
    const obj_type_ops *saved = obj_type_get(OBJ_LIST);
    obj_register_type(OBJ_LIST, &fake_list_ops);
    client *c = client_create(srv, NULL, CLIENT_FAKE);
    sstr lk = K("list");
    db_add(srv, db0(), lk, obj_new(OBJ_LIST, OBJ_ENC_QUICKLIST, NULL));
    sstr_free(lk);
    const char *wt = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    assert_string_equal(run(c, "GET list"), wt);
    assert_string_equal(run(c, "APPEND list x"), wt);
    assert_string_equal(run(c, "MGET list"), "*1\r\n$-1\r\n");
    assert_string_equal(run(c, "TYPE list"), "+list\r\n");
    assert_string_equal(run(c, "TYPE nokey"), "+none\r\n");

    assert_string_equal(run(c, "SET k v"), "+OK\r\n");
    assert_string_equal(run(c, "EXPIRE k 100 NX XX"),
                        "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n");
    assert_string_equal(run(c, "EXPIRE k 100 GT"), ":0\r\n");
    assert_string_equal(run(c, "EXPIRE k 100"), ":1\r\n");
    assert_string_equal(run(c, "TTL k"), ":100\r\n");
    assert_string_equal(run(c, "EXPIRE k 9223372036854775807"),
                        "-ERR invalid expire time in 'expire' command\r\n");
    srv->mstime += 40000;
    assert_string_equal(run(c, "TTL k"), ":60\r\n");
    srv->mstime += 60001;
    assert_string_equal(run(c, "TTL k"), ":-2\r\n");
    assert_string_equal(run(c, "SET k v"), "+OK\r\n");
    assert_string_equal(run(c, "EXPIRE k -1"), ":1\r\n");
    assert_string_equal(run(c, "EXISTS k"), ":0\r\n");
    assert_string_equal(run(c, "RENAME nokey x"), "-ERR no such key\r\n");
    assert_string_equal(run(c, "OBJECT FREQ list"),
                        "-ERR An LFU maxmemory policy is not selected, access frequency not "
                        "tracked. Please note that when switching between policies at runtime "
                        "LRU and LFU data will take some time to adjust.\r\n");
    assert_string_equal(run(c, "SCAN 0 COUNT 0"), "-ERR syntax error\r\n");
    assert_string_equal(run(c, "SCAN x"), "-ERR invalid cursor\r\n");
    assert_string_equal(run(c, "SCAN 0 TYPE list"), "*2\r\n$1\r\n0\r\n*1\r\n$4\r\nlist\r\n");
    assert_string_equal(run(c, "COPY list list2"), "-ERR unknown type object\r\n");
    assert_string_equal(run(c, "MOVE list 1"), ":1\r\n");
    assert_string_equal(run(c, "EXISTS list"), ":0\r\n");
    db_empty(srv, &srv->dbs[1]); /* freed while the stand-in type is registered */
    obj_register_type(OBJ_LIST, saved);
    client_free(c);
}

/* Every write path signals WATCHers; failed or no-op writes do not. */
static void test_writes_signal_watchers(void **state) {
    (void)state;
    static const struct {
        const char *setup, *write;
        int aborts;
    } cases[] = {
        /* clang-format off */
        {"SET k 12345", "INCR k", 1},          /* in place */
        {"SET k abc", "APPEND k x", 1},        /* in place after unsharing */
        {"SET k abc", "SETRANGE k 0 x", 1},
        {"SET k abc", "EXPIRE k 100", 1},      /* TTL only */
        {"SET k abc", "GETEX k PX 100", 1},
        {"SET k abc", "RENAME k k2", 1},
        {"SET k abc", "MOVE k 1", 1},
        {"SET k abc", "SETNX k x", 0},
        {"SET k abc", "PERSIST k", 0},         /* had no TTL */
        {"SET k abc", "EXPIRE k 100 XX", 0},
        {"SET k abc", "APPEND k", 0},          /* arity error */
        {"SET k abc", "DEL nokey", 0},
        /* clang-format on */
    };
    server_update_time(srv);
    client *a = client_create(srv, NULL, CLIENT_FAKE), *b = client_create(srv, NULL, CLIENT_FAKE);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        run(a, "FLUSHALL");
        run(a, cases[i].setup);
        assert_string_equal(run(a, "WATCH k"), "+OK\r\n");
        run(b, cases[i].write);
        assert_string_equal(run(a, "MULTI"), "+OK\r\n");
        run(a, "PING");
        const char *want = cases[i].aborts ? "*-1\r\n" : "*1\r\n+PONG\r\n";
        const char *got = run(a, "EXEC");
        if (strcmp(got, want) != 0) fail_msg("%s: EXEC gave %s", cases[i].write, got);
    }
    client_free(a);
    client_free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_string_encodings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_integers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_try_encode_and_unshare, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lfu_counter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_overwrite_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ttl_set_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lazy_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_active_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_swap_and_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_string_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrongtype_and_expire_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writes_signal_watchers, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
