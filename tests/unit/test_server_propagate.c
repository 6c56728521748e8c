/* test_server_propagate.c - what reaches a propagation sink (propagate.c)
 * for each command: as is, rewritten to a deterministic form, wrapped in
 * MULTI/EXEC, or nothing. A recording sink renders each command as one
 * line "db:ARG ARG ..." so the tests compare text.
 */
/* cmocka.h needs these first. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/mem.h"
#include "server_fixture.h"
#include "../../src/server/config.h"
#include "../../src/server/propagate.h"
#include "../../src/server/server.h"

static server *srv;
static char rec[65536];
static size_t rec_len;
static int rec_flags;

static void record(server *s, void *ud, int dbid, sstr *argv, int argc, int flags) {
    (void)s;
    (void)ud;
    rec_flags |= flags;
    rec_len += (size_t)snprintf(rec + rec_len, sizeof(rec) - rec_len, "%d:", dbid);
    for (int i = 0; i < argc && rec_len < sizeof(rec) - 1; i++)
        rec_len += (size_t)snprintf(rec + rec_len, sizeof(rec) - rec_len, "%s%.*s", i ? " " : "",
                                    (int)sstr_len(argv[i]), argv[i]);
    if (rec_len < sizeof(rec) - 2) rec[rec_len++] = '\n';
    rec[rec_len] = '\0';
}

/* Returns (and clears) what the sink got. */
static const char *taken(void) {
    static char out[sizeof(rec)];
    memcpy(out, rec, rec_len + 1);
    rec_len = 0;
    rec[0] = '\0';
    return out;
}

static int setup(void **state) {
    (void)state;
    srv = fixture_server_create("propagate");
    if (!srv) return -1;
    srv->cfg->save_point_count = 0; /* FLUSHALL would write dump.rdb in the cwd */
    propagate_add_sink(srv, record, NULL);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    server_destroy(srv);
    srv = NULL;
    return 0;
}

static client *new_client(void) {
    return client_create(srv, NULL, CLIENT_FAKE);
}

static const char *run(client *c, const char *line) {
    return fixture_run(srv, c, line, 1);
}

static void run_clean(client *c) {
    run(c, "FLUSHALL");
    taken();
}

static void test_plain_writes_and_reads(void **state) {
    (void)state;
    client *c = new_client();
    run_clean(c);
    run(c, "SET a 1");
    run(c, "GET a");
    run(c, "INCR a");
    assert_string_equal(taken(), "0:SET a 1\n0:INCR a\n");
    /* Failed and no-op commands: nothing. */
    run(c, "LPUSH a x");
    run(c, "DEL missing");
    run(c, "EXPIRE missing 10");
    assert_string_equal(taken(), "");
    run(c, "SELECT 3");
    run(c, "SET b 2");
    assert_string_equal(taken(), "3:SET b 2\n");
    client_free(c);
}

static void test_multi_exec(void **state) {
    (void)state;
    client *c = new_client();
    run_clean(c);
    run(c, "MULTI");
    run(c, "SET a 1");
    run(c, "GET a");
    run(c, "SET b 2");
    run(c, "EXEC");
    assert_string_equal(taken(), "0:MULTI\n0:SET a 1\n0:SET b 2\n0:EXEC\n");
    /* One write: Redis 7.0 sends it alone. */
    run(c, "MULTI");
    run(c, "SET a 3");
    run(c, "GET a");
    run(c, "EXEC");
    assert_string_equal(taken(), "0:SET a 3\n");
    /* Read-only transaction: nothing. */
    run(c, "MULTI");
    run(c, "GET a");
    run(c, "EXEC");
    assert_string_equal(taken(), "");
    client_free(c);
}

static long long now_ms(void) {
    return srv->mstime;
}

static void test_expire_rewrites(void **state) {
    (void)state;
    client *c = new_client();
    char line[128], want[256];
    run_clean(c);
    run(c, "SET k v");
    taken();
    run(c, "EXPIRE k 100");
    long long t = now_ms();
    snprintf(want, sizeof(want), "0:PEXPIREAT k %lld\n", t + 100000);
    assert_string_equal(taken(), want);
    run(c, "PEXPIRE k 5000");
    snprintf(want, sizeof(want), "0:PEXPIREAT k %lld\n", now_ms() + 5000);
    assert_string_equal(taken(), want);
    snprintf(line, sizeof(line), "EXPIREAT k %lld", (t / 1000) + 50);
    run(c, line);
    snprintf(want, sizeof(want), "0:PEXPIREAT k %lld\n", ((t / 1000) + 50) * 1000);
    assert_string_equal(taken(), want);
    run(c, "PERSIST k");
    assert_string_equal(taken(), "0:PERSIST k\n");
    run(c, "EXPIRE k -1");
    assert_string_equal(taken(), "0:DEL k\n");

    run(c, "SETEX s 10 v");
    snprintf(want, sizeof(want), "0:SET s v PXAT %lld\n", now_ms() + 10000);
    assert_string_equal(taken(), want);
    run(c, "PSETEX s 10 v");
    snprintf(want, sizeof(want), "0:SET s v PXAT %lld\n", now_ms() + 10);
    assert_string_equal(taken(), want);
    run(c, "SET s v2 EX 7 GET");
    snprintf(want, sizeof(want), "0:SET s v2 PXAT %lld\n", now_ms() + 7000);
    assert_string_equal(taken(), want);
    run(c, "SET s v3 NX");
    assert_string_equal(taken(), "");
    run(c, "GETEX s PX 300");
    snprintf(want, sizeof(want), "0:PEXPIREAT s %lld\n", now_ms() + 300);
    assert_string_equal(taken(), want);
    run(c, "GETEX s PERSIST");
    assert_string_equal(taken(), "0:PERSIST s\n");
    run(c, "GETEX s");
    assert_string_equal(taken(), "");
    run(c, "GETEX s PXAT 1");
    assert_string_equal(taken(), "0:DEL s\n");
    run(c, "SET g 1");
    run(c, "GETDEL g");
    assert_string_equal(taken(), "0:SET g 1\n0:DEL g\n");
    client_free(c);
}

static void test_float_and_spop(void **state) {
    (void)state;
    client *c = new_client();
    run_clean(c);
    run(c, "INCRBYFLOAT f 1.5");
    assert_string_equal(taken(), "0:SET f 1.5 KEEPTTL\n");
    run(c, "HINCRBYFLOAT h x 2.25");
    assert_string_equal(taken(), "0:HSET h x 2.25\n");
    run(c, "SADD s a");
    taken();
    run(c, "SPOP s");
    assert_string_equal(taken(), "0:SREM s a\n");
    run(c, "SADD s 1 2 3");
    taken();
    run(c, "SPOP s 5");
    assert_string_equal(taken(), "0:DEL s\n");
    run(c, "SADD s 1");
    taken();
    run(c, "SPOP s 0");
    assert_string_equal(taken(), "");
    /* PFCOUNT's cache update goes as the command itself (as Redis). */
    run(c, "PFADD hll a b c");
    taken();
    run(c, "PFCOUNT hll");
    assert_string_equal(taken(), "0:PFCOUNT hll\n");
    run(c, "PFCOUNT hll");
    assert_string_equal(taken(), "");
    run(c, "FLUSHALL ASYNC");
    assert_string_equal(taken(), "0:FLUSHALL ASYNC\n");
    client_free(c);
}

static void test_lazy_expire_del_before_command(void **state) {
    (void)state;
    client *c = new_client();
    run_clean(c);
    run(c, "SET k v PX 1");
    taken();
    srv->mstime += 10; /* the key is now expired */
    fixture_run(srv, c, "GET k", 0);
    assert_string_equal(taken(), "0:DEL k\n");
    run(c, "SET k2 v PX 1");
    taken();
    srv->mstime += 10;
    fixture_run(srv, c, "SET k2 w", 0);
    assert_string_equal(taken(), "0:DEL k2\n0:SET k2 w\n");
    client_free(c);
}

static void test_active_expiry_and_eviction(void **state) {
    (void)state;
    client *c = new_client();
    run_clean(c);
    run(c, "SET e v PX 1");
    taken();
    srv->mstime += 10;
    db_active_expire_cycle(srv, 100000);
    assert_string_equal(taken(), "0:DEL e\n");
    /* Eviction before a command: DEL first, then the command. */
    run(c, "SET victim v");
    taken();
    srv->cfg->maxmemory = 1;
    srv->cfg->maxmemory_policy = MAXMEMORY_ALLKEYS_RANDOM;
    run(c, "GET victim");
    assert_string_equal(taken(), "0:DEL victim\n");
    srv->cfg->maxmemory = 0;
    srv->cfg->maxmemory_policy = MAXMEMORY_NO_EVICTION;
    client_free(c);
}

static void test_as_is(void **state) {
    (void)state;
    client *c = new_client();
    run_clean(c);
    run(c, "SET a 1");
    run(c, "RENAME a b");
    run(c, "COPY b c DB 2");
    run(c, "MOVE b 3");
    run(c, "SET b 1");
    run(c, "SETRANGE b 3 xy");
    run(c, "BITFIELD bf INCRBY u8 0 300");
    run(c, "SWAPDB 0 1");
    run(c, "FLUSHDB");
    assert_string_equal(taken(), "0:SET a 1\n0:RENAME a b\n0:COPY b c DB 2\n0:MOVE b 3\n"
                                 "0:SET b 1\n0:SETRANGE b 3 xy\n0:BITFIELD bf INCRBY u8 0 300\n"
                                 "0:SWAPDB 0 1\n0:FLUSHDB\n");
    client_free(c);
}

static void test_master_flag(void **state) {
    (void)state;
    client *c = new_client();
    run_clean(c);
    rec_flags = 0;
    c->flags |= CLIENT_MASTER;
    run(c, "SET m 1");
    assert_string_equal(taken(), "0:SET m 1\n");
    assert_int_equal(rec_flags, PROPAGATE_FROM_MASTER);
    c->flags &= ~CLIENT_MASTER;
    rec_flags = 0;
    run(c, "SET m 2");
    taken();
    assert_int_equal(rec_flags, 0);
    client_free(c);
}

static void test_pops(void **state) {
    (void)state;
    client *c = new_client();
    run_clean(c);
    run(c, "RPUSH l a b c d");
    taken();
    run(c, "BLPOP nokey l 0");
    assert_string_equal(taken(), "0:LPOP l\n");
    run(c, "BRPOP l 0");
    assert_string_equal(taken(), "0:RPOP l\n");
    run(c, "LMPOP 2 nokey l RIGHT COUNT 5");
    assert_string_equal(taken(), "0:RPOP l 5\n");
    run(c, "RPUSH l a b");
    taken();
    run(c, "BLMPOP 0 1 l LEFT");
    assert_string_equal(taken(), "0:LPOP l 1\n");
    run(c, "BLMOVE l m LEFT RIGHT 0");
    assert_string_equal(taken(), "0:LMOVE l m LEFT RIGHT\n");
    run(c, "BRPOPLPUSH m l 0");
    assert_string_equal(taken(), "0:LMOVE m l RIGHT LEFT\n");
    run(c, "BLPOP nokey 0.01"); /* MULTI-less fake client: replies nil, nothing to replay */
    assert_string_equal(taken(), "");
    run(c, "ZADD z 1 a 2 b 3 c 4 d");
    taken();
    run(c, "BZPOPMIN z 0");
    assert_string_equal(taken(), "0:ZPOPMIN z\n");
    run(c, "BZPOPMAX z 0");
    assert_string_equal(taken(), "0:ZPOPMAX z\n");
    run(c, "ZMPOP 1 z MIN COUNT 1");
    assert_string_equal(taken(), "0:ZPOPMIN z 1\n");
    run(c, "BZMPOP 0 2 nokey z MAX COUNT 9");
    assert_string_equal(taken(), "0:ZPOPMAX z 9\n");
    run(c, "ZPOPMIN z");
    assert_string_equal(taken(), "");
    client_free(c);
}

static void test_streams(void **state) {
    (void)state;
    client *c = new_client();
    char want[512];
    run_clean(c);
    run(c, "XADD s 5-1 f v");
    assert_string_equal(taken(), "0:XADD s 5-1 f v\n");
    run(c, "XADD s 5-* f v");
    assert_string_equal(taken(), "0:XADD s 5-2 f v\n");
    run(c, "XADD s MAXLEN ~ 1 LIMIT 10 7 f v");
    assert_string_equal(taken(), "0:XADD s MAXLEN = 3 7-0 f v\n");
    run(c, "XTRIM s MAXLEN 1");
    assert_string_equal(taken(), "0:XTRIM s MAXLEN = 1\n");
    const char *reply = strstr(run(c, "XADD s * a b"), "\r\n") + 2; /* "$N\r\nms-seq\r\n" */
    snprintf(want, sizeof(want), "0:XADD s %.*s a b\n", (int)(strstr(reply, "\r\n") - reply),
             reply);
    assert_string_equal(taken(), want);
    run(c, "XGROUP CREATE s g 0");
    assert_string_equal(taken(), "0:XGROUP CREATE s g 0\n");
    run(c, "XREADGROUP GROUP g alice COUNT 1 STREAMS s >");
    long long t = srv->mstime;
    snprintf(want, sizeof(want),
             "0:MULTI\n0:XGROUP CREATECONSUMER s g alice\n"
             "0:XCLAIM s g alice 0 7-0 TIME %lld RETRYCOUNT 1 FORCE JUSTID LASTID 7-0\n"
             "0:XGROUP SETID s g 7-0 ENTRIESREAD 3\n0:EXEC\n",
             t);
    assert_string_equal(taken(), want);
    run(c, "XREADGROUP GROUP g alice NOACK STREAMS s >");
    const char *got = taken();
    assert_non_null(strstr(got, "0:XGROUP SETID s g "));
    assert_null(strstr(got, "XCLAIM"));
    assert_null(strstr(got, "XREADGROUP"));
    run(c, "XCLAIM s g bob 0 7-0 JUSTID");
    snprintf(want, sizeof(want),
             "0:XCLAIM s g bob 0 7-0 TIME %lld RETRYCOUNT 1 FORCE JUSTID LASTID ", srv->mstime);
    got = taken();
    assert_memory_equal(got, want, strlen(want));
    run(c, "XAUTOCLAIM s g carol 0 0-0 JUSTID");
    got = taken();
    assert_non_null(strstr(got, "0:XCLAIM s g carol 0 7-0 TIME "));
    assert_null(strstr(got, "XAUTOCLAIM"));
    client_free(c);
}

/* Runs a command whose arguments may be binary (argv taken). */
static const char *run_argv(client *c, sstr *argv, int argc) {
    c->argv = argv;
    c->argc = argc;
    server_update_time(srv);
    srv->current_client = c;
    command_process(c);
    srv->current_client = NULL;
    for (int i = 0; i < c->argc; i++)
        sstr_free(c->argv[i]);
    sk_free(c->argv);
    c->argv = NULL;
    c->argc = 0;
    return fixture_take(c);
}

static void test_restore_absttl(void **state) {
    (void)state;
    client *c = new_client();
    char want[128];
    run_clean(c);
    run(c, "SET k v");
    const char *reply = run(c, "DUMP k");
    size_t len = (size_t)atol(reply + 1);
    const char *payload = strstr(reply, "\r\n") + 2;
    sstr dump = sstr_new(payload, len);
    taken();
    sstr *argv = sk_malloc(sizeof(sstr) * 5);
    argv[0] = sstr_from_cstr("RESTORE");
    argv[1] = sstr_from_cstr("k");
    argv[2] = sstr_from_cstr("5000");
    argv[3] = sstr_dup(dump);
    argv[4] = sstr_from_cstr("REPLACE");
    assert_string_equal(run_argv(c, argv, 5), "+OK\r\n");
    const char *got = taken();
    snprintf(want, sizeof(want), "0:RESTORE k %lld ", srv->mstime + 5000);
    assert_memory_equal(got, want, strlen(want));
    assert_non_null(strstr(got, " REPLACE ABSTTL\n"));
    argv = sk_malloc(sizeof(sstr) * 4);
    argv[0] = sstr_from_cstr("RESTORE");
    argv[1] = sstr_from_cstr("k2");
    argv[2] = sstr_from_cstr("0");
    argv[3] = sstr_dup(dump);
    assert_string_equal(run_argv(c, argv, 4), "+OK\r\n");
    got = taken();
    assert_memory_equal(got, "0:RESTORE k2 0 ", 15);
    assert_null(strstr(got, "ABSTTL"));
    sstr_free(dump);
    client_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_writes_and_reads),
        cmocka_unit_test(test_multi_exec),
        cmocka_unit_test(test_expire_rewrites),
        cmocka_unit_test(test_float_and_spop),
        cmocka_unit_test(test_lazy_expire_del_before_command),
        cmocka_unit_test(test_master_flag),
        cmocka_unit_test(test_active_expiry_and_eviction),
        cmocka_unit_test(test_as_is),
        cmocka_unit_test(test_pops),
        cmocka_unit_test(test_streams),
        cmocka_unit_test(test_restore_absttl),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
