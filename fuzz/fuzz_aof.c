/* fuzz_aof.c - libFuzzer harness for the AOF formats (aof_file.c).
 *
 * The first byte picks the parser: even, the manifest parser (whatever it
 * accepts must format and parse back to the same text, and name only plain
 * file names); odd, the command-file reader as the loader drives it
 * (command after command until the input ends, is truncated or is refused;
 * each command must re-encode and parse back to the same arguments, and
 * the bytes consumed must add up). ASan/UBSan catch bad reads and leaks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/sbuf.h"
#include "../src/server/aof_file.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

static void fuzz_manifest(const char *p, size_t len) {
    aof_manifest m;
    char err[256];
    if (aof_manifest_parse(&m, p, len, err, sizeof(err)) != 0) {
        CHECK(m.base == NULL && m.nincr == 0 && m.nhist == 0);
        CHECK(err[0] != '\0');
        return;
    }
    if (m.base) CHECK(strchr(m.base->name, '/') == NULL);
    for (int i = 0; i < m.nincr; i++) {
        CHECK(strchr(m.incr[i].name, '/') == NULL);
        if (i) CHECK(m.incr[i].seq > m.incr[i - 1].seq);
    }
    sbuf a, b;
    sbuf_init(&a);
    sbuf_init(&b);
    aof_manifest_format(&m, &a);
    aof_manifest m2;
    if (aof_manifest_parse(&m2, a.data, a.len, err, sizeof(err)) == 0) {
        aof_manifest_format(&m2, &b);
        CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
        aof_manifest_clear(&m2);
    } else {
        /* Only escaping may make a line longer than a manifest allows. */
        CHECK(strstr(err, "too long line") != NULL);
    }
    aof_manifest_clear(&m);
    sbuf_free(&a);
    sbuf_free(&b);
}

static void fuzz_commands(const char *p, size_t len) {
    size_t pos = 0;
    for (int n = 0; n < 10000; n++) {
        sstr *argv;
        int argc;
        size_t used;
        char err[128];
        int r =
            aof_parse_command(p + pos, len - pos, 1 << 20, &argv, &argc, &used, err, sizeof(err));
        if (r <= 0) {
            CHECK(argv == NULL);
            if (r == 0) CHECK(used <= len - pos);
            return;
        }
        CHECK(argc >= 1 && used > 0 && used <= len - pos);
        sbuf out;
        sbuf_init(&out);
        aof_format_command(&out, argv, argc);
        sstr *again;
        int argc2;
        size_t used2;
        CHECK(aof_parse_command(out.data, out.len, 1 << 20, &again, &argc2, &used2, err,
                                sizeof(err)) == 1);
        CHECK(argc2 == argc && used2 == out.len);
        for (int i = 0; i < argc; i++)
            CHECK(sstr_len(again[i]) == sstr_len(argv[i]) &&
                  memcmp(again[i], argv[i], sstr_len(argv[i])) == 0);
        aof_free_argv(again, argc2);
        aof_free_argv(argv, argc);
        sbuf_free(&out);
        pos += used;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    const char *p = (const char *)data + 1;
    if (data[0] % 2 == 0)
        fuzz_manifest(p, size - 1);
    else
        fuzz_commands(p, size - 1);
    return 0;
}
