/* test_server_multi.c - MULTI/EXEC/WATCH (multi.c) and pub/sub (pubsub.c)
 * driven through the real dispatcher (command_process) with connectionless
 * clients; replies are read from the clients' output buffers. The expected
 * bytes are those redis-server 7.0 sends for the same commands.
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
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../src/core/mem.h"
#include "server_fixture.h"
#include "../../src/server/config.h"
#include "../../src/server/multi.h"
#include "../../src/server/pubsub.h"
#include "../../src/server/server.h"
#include "../../src/server/server_main.h"

static server *srv;

static int setup(void **state) {
    (void)state;
    srv = fixture_server_create("multi");
    return srv ? 0 : -1;
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

static const char *take(client *c) {
    return fixture_take(c);
}

static const char *run(client *c, const char *line) {
    return fixture_run(srv, c, line, 1);
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---------------------------------------------------------------- multi */

static void test_multi_errors(void **state) {
    (void)state;
    client *c = new_client();
    assert_string_equal(run(c, "EXEC"), "-ERR EXEC without MULTI\r\n");
    assert_string_equal(run(c, "DISCARD"), "-ERR DISCARD without MULTI\r\n");
    assert_string_equal(run(c, "MULTI"), "+OK\r\n");
    assert_string_equal(run(c, "MULTI"), "-ERR MULTI calls can not be nested\r\n");
    assert_string_equal(run(c, "WATCH k"), "-ERR WATCH inside MULTI is not allowed\r\n");
    /* Neither error dooms the transaction (as Redis 7.0). */
    assert_string_equal(run(c, "EXEC"), "*0\r\n");
    assert_int_equal(c->flags & CLIENT_MULTI, 0);
    client_free(c);
}

static void test_multi_exec(void **state) {
    (void)state;
    client *c = new_client();
    assert_string_equal(run(c, "MULTI"), "+OK\r\n");
    assert_string_equal(run(c, "SET k v"), "+QUEUED\r\n");
    assert_string_equal(run(c, "GET k"), "+QUEUED\r\n");
    assert_string_equal(run(c, "UNWATCH"), "+QUEUED\r\n");
    assert_int_equal(c->mstate_count, 3);
    assert_string_equal(run(c, "EXEC"), "*3\r\n+OK\r\n$1\r\nv\r\n+OK\r\n");
    assert_int_equal(c->mstate_count, 0);
    assert_int_equal(c->flags & CLIENT_MULTI, 0);

    assert_string_equal(run(c, "MULTI"), "+OK\r\n");
    assert_string_equal(run(c, "SET k w"), "+QUEUED\r\n");
    assert_string_equal(run(c, "DISCARD"), "+OK\r\n");
    assert_string_equal(run(c, "GET k"), "$1\r\nv\r\n");
    client_free(c);
}

static void test_multi_execabort(void **state) {
    (void)state;
    client *c = new_client();
    run(c, "MULTI");
    assert_string_equal(run(c, "NOSUCHCMD x"),
                        "-ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' \r\n");
    assert_string_equal(run(c, "SET k v"), "+QUEUED\r\n");
    assert_int_equal(c->mstate_count, 0); /* doomed: nothing kept */
    assert_string_equal(run(c, "EXEC"),
                        "-EXECABORT Transaction discarded because of previous errors.\r\n");
    run(c, "MULTI");
    assert_string_equal(run(c, "SET k"), "-ERR wrong number of arguments for 'set' command\r\n");
    assert_string_equal(run(c, "EXEC"),
                        "-EXECABORT Transaction discarded because of previous errors.\r\n");
    assert_string_equal(run(c, "GET k"), "$-1\r\n");
    client_free(c);
}

static void test_watch_other_client(void **state) {
    (void)state;
    client *a = new_client(), *b = new_client();
    run(a, "SET k 1");
    assert_string_equal(run(a, "WATCH k x k"), "+OK\r\n");
    assert_int_equal(multi_watched_count(a), 2);
    run(b, "SET k 2");
    run(a, "MULTI");
    run(a, "SET k 3");
    assert_string_equal(run(a, "EXEC"), "*-1\r\n");
    assert_string_equal(run(a, "GET k"), "$1\r\n2\r\n");
    assert_int_equal(multi_watched_count(a), 0);

    /* Modified by the watcher itself: still aborts. */
    run(a, "WATCH k");
    run(a, "SET k 4");
    run(a, "MULTI");
    run(a, "GET k");
    assert_string_equal(run(a, "EXEC"), "*-1\r\n");

    /* UNWATCH forgets a conflict. */
    run(a, "WATCH k");
    run(b, "SET k 5");
    assert_string_equal(run(a, "UNWATCH"), "+OK\r\n");
    run(a, "MULTI");
    run(a, "GET k");
    assert_string_equal(run(a, "EXEC"), "*1\r\n$1\r\n5\r\n");

    /* Same key name in another db is another key. */
    run(a, "WATCH k");
    run(b, "SELECT 1");
    run(b, "SET k 6");
    run(a, "MULTI");
    run(a, "GET k");
    assert_string_equal(run(a, "EXEC"), "*1\r\n$1\r\n5\r\n");
    client_free(a);
    client_free(b);
}

static void test_watch_freed_client(void **state) {
    (void)state;
    client *a = new_client(), *b = new_client();
    run(a, "WATCH k");
    run(a, "MULTI");
    run(a, "SET k 1");
    client_free(a); /* queue and watches freed; no dangling watcher */
    assert_int_equal(dict_size(srv->dbs[0].watched), 0);
    assert_string_equal(run(b, "SET k 2"), "+OK\r\n");
    client_free(b);
}

static void test_watch_expiry(void **state) {
    (void)state;
    client *a = new_client(), *b = new_client();
    /* A watched key that expires before EXEC aborts it (Redis 7.0). */
    run(a, "SET k v PX 30");
    run(a, "WATCH k");
    sleep_ms(50);
    run(a, "MULTI");
    run(a, "PING");
    assert_string_equal(run(a, "EXEC"), "*-1\r\n");

    /* Already expired when WATCHed: deleting it changes nothing. */
    run(a, "SET k v PX 1");
    sleep_ms(10);
    run(a, "WATCH k");
    run(b, "DEL k");
    run(a, "MULTI");
    run(a, "PING");
    assert_string_equal(run(a, "EXEC"), "*1\r\n+PONG\r\n");

    /* ... but giving it a value does. */
    run(a, "SET k v PX 1");
    sleep_ms(10);
    run(a, "WATCH k");
    run(b, "SET k w");
    run(a, "MULTI");
    run(a, "PING");
    assert_string_equal(run(a, "EXEC"), "*-1\r\n");
    client_free(a);
    client_free(b);
}

static void test_watch_flush_swap(void **state) {
    (void)state;
    client *a = new_client(), *b = new_client();
    run(a, "SET k v");
    run(a, "WATCH k");
    run(b, "WATCH absent");
    run(b, "FLUSHDB");
    assert_true(a->flags & CLIENT_DIRTY_CAS);
    /* Only watchers of keys that existed are affected. */
    run(b, "MULTI");
    run(b, "PING");
    assert_string_equal(run(b, "EXEC"), "*1\r\n+PONG\r\n");
    run(a, "UNWATCH");

    run(b, "SELECT 1");
    run(b, "SET only1 v");
    run(a, "WATCH only1");
    run(a, "SWAPDB 0 1");
    run(a, "MULTI");
    run(a, "PING");
    assert_string_equal(run(a, "EXEC"), "*-1\r\n");
    client_free(a);
    client_free(b);
}

/* --------------------------------------------------------------- pubsub */

static void test_subscribe_replies(void **state) {
    (void)state;
    client *s = new_client();
    assert_string_equal(run(s, "UNSUBSCRIBE"), "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
    assert_string_equal(run(s, "PUNSUBSCRIBE"), "*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n");
    assert_string_equal(run(s, "PSUBSCRIBE a*"), "*3\r\n$10\r\npsubscribe\r\n$2\r\na*\r\n:1\r\n");
    assert_true(s->flags & CLIENT_PUBSUB);
    assert_string_equal(run(s, "UNSUBSCRIBE"), "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:1\r\n");
    assert_string_equal(run(s, "SUBSCRIBE x y x"), "*3\r\n$9\r\nsubscribe\r\n$1\r\nx\r\n:2\r\n"
                                                   "*3\r\n$9\r\nsubscribe\r\n$1\r\ny\r\n:3\r\n"
                                                   "*3\r\n$9\r\nsubscribe\r\n$1\r\nx\r\n:3\r\n");
    assert_int_equal(pubsub_client_count(s), 3);
    assert_string_equal(run(s, "GET k"),
                        "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / "
                        "PING / QUIT / RESET are allowed in this context\r\n");
    assert_string_equal(run(s, "PUBSUB NUMPAT"),
                        "-ERR Can't execute 'pubsub|numpat': only (P|S)SUBSCRIBE / "
                        "(P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n");
    assert_string_equal(run(s, "UNSUBSCRIBE z"), "*3\r\n$11\r\nunsubscribe\r\n$1\r\nz\r\n:3\r\n");
    run(s, "UNSUBSCRIBE");
    assert_int_equal(pubsub_client_count(s), 1);
    assert_string_equal(run(s, "PUNSUBSCRIBE"), "*3\r\n$12\r\npunsubscribe\r\n$2\r\na*\r\n:0\r\n");
    assert_int_equal(s->flags & CLIENT_PUBSUB, 0);
    assert_string_equal(run(s, "GET k"), "$-1\r\n");
    client_free(s);
}

static void test_publish(void **state) {
    (void)state;
    client *s = new_client(), *p = new_client();
    run(s, "SUBSCRIBE news");
    run(s, "PSUBSCRIBE n*");
    assert_string_equal(run(p, "PUBLISH news hi"), ":2\r\n");
    assert_string_equal(take(s), "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n"
                                 "*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n");
    assert_string_equal(run(p, "PUBLISH other hi"), ":0\r\n");
    assert_string_equal(take(s), "");

    /* RESP3 (HELLO 3 is not served yet; set it as HELLO would): messages
     * are pushes and a subscribed client may run any command. */
    p->resp = 3;
    run(p, "SUBSCRIBE news");
    assert_string_equal(run(p, "PUBLISH news m"),
                        ">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$1\r\nm\r\n:3\r\n");
    take(s);
    assert_string_equal(run(p, "PUBSUB NUMSUB news none"),
                        "%2\r\n$4\r\nnews\r\n:2\r\n$4\r\nnone\r\n:0\r\n");
    client_free(p);
    assert_string_equal(run(s, "PING"), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    client_free(s);
}

static void test_pubsub_introspection(void **state) {
    (void)state;
    client *s = new_client(), *q = new_client();
    assert_string_equal(run(q, "PUBSUB CHANNELS"), "*0\r\n");
    assert_string_equal(run(q, "PUBSUB NUMSUB"), "*0\r\n");
    assert_string_equal(run(q, "PUBSUB NUMPAT"), ":0\r\n");
    run(s, "SUBSCRIBE ab ac b");
    run(s, "PSUBSCRIBE x* y*");
    assert_string_equal(run(q, "PUBSUB CHANNELS b"), "*1\r\n$1\r\nb\r\n");
    assert_string_equal(run(q, "PUBSUB CHANNELS z*"), "*0\r\n");
    assert_string_equal(run(q, "PUBSUB NUMPAT"), ":2\r\n");
    assert_string_equal(run(q, "PUBSUB NUMSUB ab zz"),
                        "*4\r\n$2\r\nab\r\n:1\r\n$2\r\nzz\r\n:0\r\n");
    const char *help = run(q, "PUBSUB HELP");
    assert_non_null(strstr(help, "*14\r\n+PUBSUB <subcommand> [<arg> [value] [opt] ...]."));
    assert_string_equal(run(q, "PUBSUB NOPE"),
                        "-ERR unknown subcommand 'NOPE'. Try PUBSUB HELP.\r\n");
    client_free(s); /* disconnect unsubscribes everything */
    assert_string_equal(run(q, "PUBSUB CHANNELS"), "*0\r\n");
    assert_string_equal(run(q, "PUBSUB NUMPAT"), ":0\r\n");
    assert_int_equal(pubsub_num_channels(srv), 0);
    client_free(q);
}

static void test_context_table(void **state) {
    (void)state;
    for (const command *k = cmds_pubsub; k->name; k++)
        assert_int_equal(!!pubsub_command_allowed_in_context(k),
                         strstr(k->name, "subscribe") != NULL);
    command reset = {"reset", NULL, 1, 0, 0, 0, 0, "cluster", "", "", NULL};
    assert_false(pubsub_command_allowed_in_context(&reset));
    reset.group = "connection";
    assert_true(pubsub_command_allowed_in_context(&reset));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_multi_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multi_exec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multi_execabort, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_other_client, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_freed_client, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_flush_swap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subscribe_replies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publish, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pubsub_introspection, setup, teardown),
        cmocka_unit_test(test_context_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
