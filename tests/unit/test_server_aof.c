/* test_server_aof.c - the AOF formats (aof_file.c: manifest parsing and
 * formatting, command parsing with truncated and damaged input) and the
 * loader (aof.c: aof_load_dir on a directory written here, including a
 * truncated tail cut off and a damaged middle refused with the file left
 * as it was).
 */
/* cmocka.h needs these first. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/core/err.h"
#include "../../src/core/mem.h"
#include "server_fixture.h"
#include "../../src/server/aof.h"
#include "../../src/server/config.h"
#include "../../src/server/aof_file.h"
#include "../../src/server/server.h"

/* ------------------------------------------------------------ manifest */

static int parse(const char *text, aof_manifest *m, char *err) {
    return aof_manifest_parse(m, text, strlen(text), err, 256);
}

static void test_manifest_roundtrip(void **state) {
    (void)state;
    aof_manifest m;
    char err[256] = "";
    const char *text = "# a comment\n"
                       "file appendonly.aof.3.base.rdb seq 3 type b\n"
                       "file appendonly.aof.2.incr.aof seq 2 type h\n"
                       "file appendonly.aof.4.incr.aof seq 4 type i\n"
                       "file \"appendonly.aof.5.incr.aof\" seq 5 type i future x\n";
    assert_int_equal(parse(text, &m, err), 0);
    assert_non_null(m.base);
    assert_string_equal(m.base->name, "appendonly.aof.3.base.rdb");
    assert_int_equal(m.base->seq, 3);
    assert_int_equal(m.nhist, 1);
    assert_int_equal(m.nincr, 2);
    assert_string_equal(m.incr[1].name, "appendonly.aof.5.incr.aof");
    assert_int_equal(m.curr_incr_seq, 5);
    assert_int_equal(m.curr_base_seq, 3);
    sbuf out;
    sbuf_init(&out);
    aof_manifest_format(&m, &out);
    assert_string_equal(out.data, "file appendonly.aof.3.base.rdb seq 3 type b\n"
                                  "file appendonly.aof.2.incr.aof seq 2 type h\n"
                                  "file appendonly.aof.4.incr.aof seq 4 type i\n"
                                  "file appendonly.aof.5.incr.aof seq 5 type i\n");
    /* A rewrite: new base, incr parts up to 4 retired. */
    aof_manifest_set_base(&m, "appendonly.aof.4.base.rdb", 4);
    aof_manifest_retire(&m, 4);
    assert_int_equal(m.nhist, 3);
    assert_int_equal(m.nincr, 1);
    assert_int_equal(m.incr[0].seq, 5);
    sbuf_free(&out);
    aof_manifest_clear(&m);
    /* Windows line ends and no final newline are accepted. */
    assert_int_equal(parse("file a seq 1 type i\r\nfile b seq 2 type i", &m, err), 0);
    assert_int_equal(m.nincr, 2);
    aof_manifest_clear(&m);
}

static void test_manifest_bad(void **state) {
    (void)state;
    static const struct {
        const char *text, *reason;
    } cases[] = {
        {"", "Found an empty AOF manifest"},
        {"\n", "Invalid AOF manifest file format"},
        {"file a seq 1\n", "Invalid AOF manifest file format"},
        {"file a seq 1 type\n", "Invalid AOF manifest file format"},
        {"file a seq x type b\n", "Invalid AOF manifest file format"},
        {"file a seq 0 type b\n", "Invalid AOF manifest file format"},
        {"file a seq -3 type b\n", "Invalid AOF manifest file format"},
        {"file \"a seq 1 type b\n", "Invalid AOF manifest file format"},
        {"file ../x seq 1 type b\n", "File can't be a path, just a filename"},
        {"file .. seq 1 type b\n", "File can't be a path, just a filename"},
        {"file a seq 1 type b\nfile b seq 2 type b\n", "Found duplicate base file information"},
        {"file a seq 2 type i\nfile b seq 2 type i\n", "Found a non-monotonic sequence number"},
        {"file a seq 1 type z\n", "Unknown AOF file type"},
        {"file a seq 1 type bb\n", "Unknown AOF file type"},
        {"file h seq 1 type h\n", "names no base and no incr"},
        {"# only a comment\n", "names no base and no incr"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        aof_manifest m;
        char err[256] = "";
        int rc = parse(cases[i].text, &m, err);
        if (rc != SK_ECORRUPT || !strstr(err, cases[i].reason))
            fail_msg("case %zu (%s): rc %d err '%s', want '%s'", i, cases[i].text, rc, err,
                     cases[i].reason);
        assert_null(m.base);
        assert_int_equal(m.nincr, 0);
    }
    /* Too long a line. */
    char *long_line = sk_malloc(2048);
    memset(long_line, 'a', 2047);
    long_line[2047] = '\0';
    aof_manifest m;
    char err[256];
    assert_int_equal(parse(long_line, &m, err), SK_ECORRUPT);
    assert_non_null(strstr(err, "too long line"));
    sk_free(long_line);
}

/* ------------------------------------------------------------- commands */

static void test_parse_commands(void **state) {
    (void)state;
    const char *text = "#TS:1700000000\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv1\r\n"
                       "*1\r\n$5\r\nMULTI\r\n";
    size_t len = strlen(text), used;
    sstr *argv;
    int argc;
    char err[128];
    assert_int_equal(aof_parse_command(text, len, 1 << 20, &argv, &argc, &used, err, 128), 1);
    assert_int_equal(argc, 3);
    assert_string_equal(argv[2], "v1");
    aof_free_argv(argv, argc);
    assert_int_equal(
        aof_parse_command(text + used, len - used, 1 << 20, &argv, &argc, &used, err, 128), 1);
    assert_string_equal(argv[0], "MULTI");
    aof_free_argv(argv, argc);
    /* Every proper prefix of a command is "incomplete", never an error. */
    const char *one = "*2\r\n$3\r\nDEL\r\n$10\r\n0123456789\r\n";
    for (size_t n = 0; n < strlen(one); n++) {
        int r = aof_parse_command(one, n, 1 << 20, &argv, &argc, &used, err, 128);
        if (r != 0) fail_msg("prefix of %zu bytes: %d", n, r);
    }
    /* Damage. */
    static const char *bad[] = {
        "SET k v\r\n",
        "*0\r\n",
        "*-1\r\n",
        "*2\r\n$3\r\nDEL\r\nx\r\n",
        "*1\r\n$3\r\nDELX\r\n",
        "*1\r\n$-2\r\n",
        "*1\r\n$99999999\r\n",
        "*x\r\n",
        "*1\n$3\r\nDEL\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int r = aof_parse_command(bad[i], strlen(bad[i]), 1 << 20, &argv, &argc, &used, err, 128);
        if (r != SK_ECORRUPT) fail_msg("bad case %zu: %d", i, r);
    }
    /* Formatting round trip. */
    sstr in[2] = {sstr_from_cstr("PING"), sstr_new("a\r\nb", 4)};
    sbuf out;
    sbuf_init(&out);
    aof_format_command(&out, in, 2);
    assert_int_equal(aof_parse_command(out.data, out.len, 100, &argv, &argc, &used, err, 128), 1);
    assert_int_equal(used, out.len);
    assert_memory_equal(argv[1], "a\r\nb", 4);
    aof_free_argv(argv, argc);
    sbuf_free(&out);
    sstr_free(in[0]);
    sstr_free(in[1]);
}

/* --------------------------------------------------------------- loader */

static char dir[128];

static void write_file(const char *name, const char *text, size_t len) {
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}

static long long size_of(const char *name) {
    char path[256];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

#define CMD_SET_A "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
#define CMD_SEL_2 "*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n"
#define CMD_INCR_A "*2\r\n$4\r\nINCR\r\n$1\r\na\r\n"

static const char *get(server *srv, client *c, const char *line) {
    return fixture_run(srv, c, line, 1);
}

static void test_load_dir(void **state) {
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/sealkv-test-aof-%d", (int)getpid());
    mkdir(dir, 0700);
    server *srv = fixture_server_create("aof");
    assert_non_null(srv);
    srv->cfg->save_point_count = 0; /* FLUSHALL would write dump.rdb in the cwd */
    client *c = client_create(srv, NULL, CLIENT_FAKE);
    char err[512] = "";
    write_file("appendonly.aof.manifest",
               "file p.1.base.aof seq 1 type b\nfile p.1.incr.aof seq 1 type i\n"
               "file p.2.incr.aof seq 2 type i\n",
               strlen("file p.1.base.aof seq 1 type b\nfile p.1.incr.aof seq 1 type i\n"
                      "file p.2.incr.aof seq 2 type i\n"));
    write_file("p.1.base.aof", CMD_SET_A, strlen(CMD_SET_A));
    write_file("p.1.incr.aof", CMD_INCR_A CMD_SEL_2 CMD_SET_A,
               strlen(CMD_INCR_A CMD_SEL_2 CMD_SET_A));
    /* The last part ends inside a command: cut off (aof-load-truncated yes). */
    const char *last = CMD_INCR_A "*2\r\n$4\r\nINCR\r\n$1\r\n";
    write_file("p.2.incr.aof", last, strlen(last));
    assert_int_equal(aof_load_dir(srv, dir, "appendonly.aof", err, sizeof(err)), 0);
    assert_string_equal(get(srv, c, "GET a"), "$1\r\n3\r\n");
    get(srv, c, "SELECT 2");
    assert_string_equal(get(srv, c, "GET a"), "$1\r\n1\r\n");
    assert_int_equal(size_of("p.2.incr.aof"), (long long)strlen(CMD_INCR_A));

    /* Damage in the middle: refused, the file left alone. */
    get(srv, c, "FLUSHALL");
    const char *damaged = CMD_INCR_A "garbage\r\n" CMD_INCR_A;
    write_file("p.1.incr.aof", damaged, strlen(damaged));
    assert_true(aof_load_dir(srv, dir, "appendonly.aof", err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "Bad file format"));
    assert_int_equal(size_of("p.1.incr.aof"), (long long)strlen(damaged));

    /* A truncated part that is not the last one: refused. */
    write_file("p.1.incr.aof", "*2\r\n$4\r\nINCR", 13);
    assert_true(aof_load_dir(srv, dir, "appendonly.aof", err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "not the last AOF file"));
    assert_int_equal(size_of("p.1.incr.aof"), 13);

    /* aof-load-truncated no: refused. */
    write_file("p.1.incr.aof", CMD_INCR_A, strlen(CMD_INCR_A));
    write_file("p.2.incr.aof", last, strlen(last));
    srv->cfg->aof_load_truncated = 0;
    assert_true(aof_load_dir(srv, dir, "appendonly.aof", err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "Unexpected end of file"));
    assert_int_equal(size_of("p.2.incr.aof"), (long long)strlen(last));
    srv->cfg->aof_load_truncated = 1;

    /* An unknown command. */
    write_file("p.2.incr.aof", "*1\r\n$4\r\nNOPE\r\n", 14);
    assert_true(aof_load_dir(srv, dir, "appendonly.aof", err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "Unknown command 'NOPE'"));

    client_free(c);
    server_destroy(srv);
    const char *names[] = {"appendonly.aof.manifest", "p.1.base.aof", "p.1.incr.aof",
                           "p.2.incr.aof"};
    for (size_t i = 0; i < 4; i++) {
        char path[256];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest_roundtrip),
        cmocka_unit_test(test_manifest_bad),
        cmocka_unit_test(test_parse_commands),
        cmocka_unit_test(test_load_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
