/* fuzz_cfgfile.c - libFuzzer harness for the redis.conf tokenizer.
 *
 * The input is parsed as a whole file with cfgfile_parse(), and each of its
 * lines is split with cfgfile_split_args() (the inline-command splitter).
 * Checked: the result is consistent (line numbers rising and in range,
 * directives lowercased and non-empty argv, every argument NUL-terminated),
 * errors carry a text; ASan/UBSan catch bad reads and leaks.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/cfgfile.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

static void check_args(sstr *argv, int argc) {
    CHECK(argc >= 0);
    CHECK(argc == 0 || argv != NULL);
    for (int i = 0; i < argc; i++)
        CHECK(argv[i][sstr_len(argv[i])] == '\0');
}

static void check_doc(const cfg_doc *doc, size_t len) {
    int prev = 0;
    CHECK(doc->count >= 0);
    for (int i = 0; i < doc->count; i++) {
        const cfg_line *l = &doc->lines[i];
        CHECK(l->lineno > prev && (size_t)l->lineno <= len + 1);
        prev = l->lineno;
        CHECK(l->argc >= 1);
        check_args(l->argv, l->argc);
        for (size_t k = 0; k < sstr_len(l->argv[0]); k++)
            CHECK(!isupper((unsigned char)l->argv[0][k]));
    }
}

static void split_lines(const char *text, size_t len) {
    size_t start = 0;
    while (start <= len) {
        const char *nl = memchr(text + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - text) : len;
        int argc = -1;
        sstr *argv = cfgfile_split_args(text + start, end - start, &argc);
        if (argv) {
            check_args(argv, argc);
            cfgfile_free_args(argv, argc);
        }
        start = end + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* A private copy, exactly `size` bytes long, so an over-read is caught. */
    char *text = malloc(size ? size : 1);
    if (!text) return 0;
    memcpy(text, data, size);
    cfg_doc doc;
    memset(&doc, 0, sizeof(doc));
    char err[256];
    err[0] = '\0';
    if (cfgfile_parse(text, size, &doc, err, sizeof(err)) == 0) {
        check_doc(&doc, size);
        cfgfile_doc_free(&doc);
    } else {
        CHECK(memchr(err, '\0', sizeof(err)) != NULL && err[0] != '\0');
    }
    split_lines(text, size);
    free(text);
    return 0;
}
