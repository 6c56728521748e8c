/* test_server_evict.c - maxmemory eviction (evict.c) and client-side
 * caching (tracking.c) on a real server without TCP listeners, driven
 * through the dispatcher with connection-less clients. Needs the wiring of
 * both modules (server.h fields, db.c / commands.c / cmd_connection.c
 * hooks).
 */
/* cmocka needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../src/core/mem.h"
#include "server_fixture.h"
#include "../../src/server/config.h"
#include "../../src/server/evict.h"
#include "../../src/server/server.h"
#include "../../src/server/server_main.h"
#include "../../src/server/tracking.h"

static server *srv;

static int setup(void **state) {
    (void)state;
    srv = fixture_server_create("evict");
    return srv ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    server_destroy(srv);
    srv = NULL;
    return 0;
}

static const char *take(client *c) {
    return fixture_take(c);
}

static const char *run(client *c, const char *line) {
    return fixture_run(srv, c, line, 0);
}

static void set_policy(const char *policy, long long maxmemory) {
    static const char *names[] = {"noeviction",   "volatile-lru", "volatile-lfu", "volatile-random",
                                  "volatile-ttl", "allkeys-lru",  "allkeys-lfu",  "allkeys-random"};
    for (int i = 0; i < 8; i++)
        if (!strcmp(names[i], policy)) srv->cfg->maxmemory_policy = i;
    srv->cfg->maxmemory = maxmemory;
    srv->cfg->maxmemory_samples = 64;
    obj_apply_config(srv);
}

/* n keys "<prefix><i>" of size bytes each; with ttl_base > 0 key i expires
 * at ttl_base + i seconds from now. */
static void add_keys(const char *prefix, int n, size_t size, long long ttl_base) {
    char *val = sk_malloc(size);
    memset(val, 'x', size);
    for (int i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof(name), "%s%d", prefix, i);
        sstr k = sstr_from_cstr(name);
        db_add(srv, &srv->dbs[0], k, obj_new_string(val, size));
        if (ttl_base > 0) db_set_expire(srv, &srv->dbs[0], k, srv->mstime + (ttl_base + i) * 1000);
        sstr_free(k);
    }
    sk_free(val);
}

static int present(const char *key) {
    sstr k = sstr_from_cstr(key);
    int r = dict_find(srv->dbs[0].keys, k) != NULL;
    sstr_free(k);
    return r;
}

static void reset_keyspace(void) {
    for (int i = 0; i < srv->dbnum; i++)
        db_empty(srv, &srv->dbs[i]);
    srv->stat_evictedkeys = 0;
    evict_free(srv);
    tracking_before_sleep(srv); /* new "command": flush messages may go again */
}

/* ----------------------------------------------------------------- evict */

static void test_no_limit_is_ok(void **state) {
    (void)state;
    reset_keyspace();
    set_policy("allkeys-random", 0);
    add_keys("k", 10, 100, 0);
    assert_int_equal(evict_perform(srv), EVICT_OK);
    assert_int_equal(db_size(&srv->dbs[0]), 10);
}

static void test_noeviction_refuses_denyoom(void **state) {
    (void)state;
    reset_keyspace();
    add_keys("k", 10, 100, 0);
    set_policy("noeviction", 1);
    assert_int_equal(evict_perform(srv), EVICT_FAIL);
    assert_int_equal(db_size(&srv->dbs[0]), 10);
    client *c = client_create(srv, NULL, CLIENT_FAKE);
    assert_string_equal(run(c, "SET a b"), "-" EVICT_OOM_ERROR "\r\n");
    assert_string_equal(run(c, "GET k0"), "$100\r\n"
                                          "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                          "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                          "\r\n");
    assert_string_equal(run(c, "DEL k0"), ":1\r\n");
    assert_string_equal(run(c, "MULTI"), "+OK\r\n");
    assert_string_equal(run(c, "GET k1"), "-" EVICT_OOM_ERROR "\r\n");
    assert_string_equal(run(c, "EXEC"),
                        "-EXECABORT Transaction discarded because of previous errors.\r\n");
    assert_int_equal(srv->stat_evictedkeys, 0);
    client_free(c);
    set_policy("noeviction", 0);
}

static void test_allkeys_random_empties_the_db(void **state) {
    (void)state;
    reset_keyspace();
    add_keys("k", 50, 100, 0);
    set_policy("allkeys-random", 1);
    assert_int_equal(evict_perform(srv), EVICT_FAIL); /* still over with nothing left */
    assert_int_equal(db_size(&srv->dbs[0]), 0);
    assert_int_equal(srv->stat_evictedkeys, 50);
    set_policy("noeviction", 0);
}

static void test_volatile_policies_spare_persistent_keys(void **state) {
    (void)state;
    static const char *policies[] = {"volatile-random", "volatile-lru", "volatile-lfu",
                                     "volatile-ttl"};
    for (size_t p = 0; p < 4; p++) {
        reset_keyspace();
        set_policy("noeviction", 0);
        add_keys("keep", 20, 100, 0);
        add_keys("vol", 30, 100, 100);
        set_policy(policies[p], 1);
        assert_int_equal(evict_perform(srv), EVICT_FAIL);
        assert_int_equal(db_size(&srv->dbs[0]), 20);
        assert_int_equal(srv->stat_evictedkeys, 30);
        assert_true(present("keep0"));
    }
    set_policy("noeviction", 0);
}

/* Sets maxmemory just under the current use: one big key must go. */
static void evict_one(const char *policy) {
    set_policy(policy, (long long)sk_mem_used() - 1024);
    assert_int_not_equal(evict_perform(srv), EVICT_FAIL);
    assert_int_equal(srv->stat_evictedkeys, 1);
    set_policy("noeviction", 0);
}

static void test_volatile_ttl_takes_the_soonest(void **state) {
    (void)state;
    reset_keyspace();
    set_policy("noeviction", 0);
    add_keys("t", 10, 64 * 1024, 100); /* t0 expires first */
    evict_one("volatile-ttl");
    assert_false(present("t0"));
    assert_true(present("t1"));
}

static void test_allkeys_lru_takes_the_idlest(void **state) {
    (void)state;
    reset_keyspace();
    set_policy("allkeys-lru", 0);
    long long now = srv->mstime;
    add_keys("l", 10, 64 * 1024, 0);
    srv->mstime = now + 60000; /* a minute later every key but l3 is read */
    client *c = client_create(srv, NULL, CLIENT_FAKE);
    for (int i = 0; i < 10; i++) {
        char cmd[32];
        snprintf(cmd, sizeof(cmd), "STRLEN l%d", i);
        if (i != 3) run(c, cmd);
    }
    client_free(c);
    sstr l3 = sstr_from_cstr("l3");
    assert_true(obj_idle_ms(srv, dict_fetch_value(srv->dbs[0].keys, l3)) >= 59000);
    sstr_free(l3);
    evict_one("allkeys-lru");
    assert_false(present("l3"));
    assert_int_equal(db_size(&srv->dbs[0]), 9);
    srv->mstime = now;
}

static void test_allkeys_lfu_takes_the_least_used(void **state) {
    (void)state;
    reset_keyspace();
    set_policy("allkeys-lfu", 0);
    add_keys("f", 10, 64 * 1024, 0);
    client *c = client_create(srv, NULL, CLIENT_FAKE);
    for (int round = 0; round < 200; round++)
        for (int i = 0; i < 10; i++) {
            char cmd[32];
            snprintf(cmd, sizeof(cmd), "STRLEN f%d", i);
            if (i != 7) run(c, cmd);
        }
    client_free(c);
    evict_one("allkeys-lfu");
    assert_false(present("f7"));
}

/* -------------------------------------------------------------- tracking */

/* Connection-less clients are not in srv->clients; a redirect target must
 * be found by id, so the subscriber is linked in by hand. */
static void link_client(client *c) {
    c->prev = NULL;
    c->next = srv->clients;
    if (srv->clients) srv->clients->prev = c;
    srv->clients = c;
}

static void unlink_and_free(client *c) {
    if (c->prev) c->prev->next = c->next;
    if (c->next) c->next->prev = c->prev;
    if (srv->clients == c) srv->clients = c->next;
    c->prev = c->next = NULL;
    client_free(c);
}

static client *subscriber(void) {
    client *s = client_create(srv, NULL, CLIENT_FAKE);
    link_client(s);
    assert_string_equal(run(s, "SUBSCRIBE __redis__:invalidate"),
                        "*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n");
    return s;
}

static void track(client *c, client *s, const char *extra) {
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "CLIENT TRACKING on REDIRECT %llu %s", (unsigned long long)s->id,
             extra);
    assert_string_equal(run(c, cmd), "+OK\r\n");
}

static void test_tracking_default_mode(void **state) {
    (void)state;
    reset_keyspace();
    client *s = subscriber(), *c = client_create(srv, NULL, CLIENT_FAKE),
           *w = client_create(srv, NULL, CLIENT_FAKE);
    track(c, s, "");
    assert_int_equal(tracking_num_clients(srv), 1);
    run(c, "MGET a b");
    assert_int_equal(tracking_total_keys(srv), 2);
    assert_int_equal(tracking_total_items(srv), 2);
    run(w, "SET a 1");
    assert_string_equal(take(s), "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"
                                 "*1\r\n$1\r\na\r\n");
    assert_int_equal(tracking_total_keys(srv), 1);
    run(w, "SET a 2"); /* forgotten: nothing more */
    assert_string_equal(take(s), "");
    run(w, "FLUSHALL");
    assert_string_equal(take(s), "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n");
    assert_int_equal(tracking_total_keys(srv), 0);
    char want[256];
    snprintf(want, sizeof(want), ":%llu\r\n", (unsigned long long)s->id);
    assert_string_equal(run(c, "CLIENT GETREDIR"), want);
    snprintf(want, sizeof(want),
             "*6\r\n$5\r\nflags\r\n*2\r\n$2\r\non\r\n$15\r\nbroken_redirect\r\n"
             "$8\r\nredirect\r\n:%llu\r\n$8\r\nprefixes\r\n*0\r\n",
             (unsigned long long)s->id);
    unlink_and_free(s); /* the redirect goes away: the next message breaks it */
    run(c, "GET z");
    run(w, "SET z 1");
    assert_string_equal(run(c, "CLIENT TRACKINGINFO"), want);
    client_free(c);
    assert_int_equal(tracking_num_clients(srv), 0);
    client_free(w);
}

static void test_tracking_bcast_and_eviction(void **state) {
    (void)state;
    reset_keyspace();
    client *s = subscriber(), *c = client_create(srv, NULL, CLIENT_FAKE),
           *w = client_create(srv, NULL, CLIENT_FAKE);
    track(c, s, "BCAST PREFIX p:");
    assert_int_equal(tracking_total_prefixes(srv), 1);
    run(w, "MSET p:1 a q:1 b");
    assert_string_equal(take(s), ""); /* BCAST goes out before sleeping */
    tracking_before_sleep(srv);
    assert_string_equal(take(s), "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"
                                 "*1\r\n$3\r\np:1\r\n");
    assert_string_equal(run(c, "CLIENT TRACKING off"), "+OK\r\n");
    assert_int_equal(tracking_total_prefixes(srv), 0);
    /* An evicted key that was read is invalidated too. */
    track(c, s, "");
    run(c, "GET q:1");
    set_policy("allkeys-random", 1);
    evict_perform(srv);
    set_policy("noeviction", 0);
    const char *msgs = take(s);
    assert_non_null(strstr(msgs, "$3\r\nq:1\r\n"));
    client_free(c);
    client_free(w);
    unlink_and_free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_limit_is_ok),
        cmocka_unit_test(test_noeviction_refuses_denyoom),
        cmocka_unit_test(test_allkeys_random_empties_the_db),
        cmocka_unit_test(test_volatile_policies_spare_persistent_keys),
        cmocka_unit_test(test_volatile_ttl_takes_the_soonest),
        cmocka_unit_test(test_allkeys_lru_takes_the_idlest),
        cmocka_unit_test(test_allkeys_lfu_takes_the_least_used),
        cmocka_unit_test(test_tracking_default_mode),
        cmocka_unit_test(test_tracking_bcast_and_eviction),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
