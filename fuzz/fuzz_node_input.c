/* fuzz_node_input.c - libFuzzer harness for what sealkv-node reads from
 * untrusted hands before anything is authenticated or committed: the join
 * token text (POST /v1/cluster/join, `sealkv-node join --token`), addresses
 * (join bodies, the command line) and the settings object of PUT
 * /v1/cluster. The input is split at its first two newlines: token, address,
 * JSON. Checked: a parsed token round-trips to the same canonical text, a
 * parsed address has a host and a port in range, the settings check never
 * accepts a non-object; ASan/UBSan catch bad reads and leaks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/node/cstate.h"
#include "../src/node/jtoken.h"
#include "../src/node/nodedir.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

static void token(const char *p, size_t n) {
    jtoken t, again;
    char text[JTOKEN_TEXT_LEN + 1];
    if (jtoken_parse(p, n, &t) != 0) return;
    CHECK(jtoken_format(&t, text, sizeof(text)) == 0);
    CHECK(strlen(text) == JTOKEN_TEXT_LEN);
    CHECK(jtoken_parse(text, strlen(text), &again) == 0);
    CHECK(memcmp(&t, &again, sizeof(t)) == 0);
}

static void address(const char *p, size_t n) {
    char *s = malloc(n + 1), host[NODEDIR_HOST_MAX], err[300];
    int port = 0;
    memcpy(s, p, n);
    s[n] = '\0';
    if (nodedir_parse_addr(s, 3342, host, &port, err, sizeof(err)) == 0) {
        CHECK(host[0] != '\0' && strlen(host) < NODEDIR_HOST_MAX);
        CHECK(port >= 1 && port <= 65535);
    } else {
        CHECK(err[0] != '\0');
    }
    free(s);
}

static void settings(const char *p, size_t n) {
    char err[256];
    json_t *j = json_loadb(p, n, JSON_DECODE_ANY, NULL);
    if (j == NULL) return;
    int rc = cstate_settings_check(j, err, sizeof(err));
    CHECK(rc == 0 || err[0] != '\0');
    CHECK(rc != 0 || json_is_object(j));
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *p = (const char *)data, *end = p + size;
    const char *nl1 = memchr(p, '\n', size);
    const char *nl2 = nl1 ? memchr(nl1 + 1, '\n', (size_t)(end - nl1 - 1)) : NULL;
    token(p, nl1 ? (size_t)(nl1 - p) : size);
    if (nl1) address(nl1 + 1, (nl2 ? nl2 : end) - (nl1 + 1));
    if (nl2) settings(nl2 + 1, (size_t)(end - nl2 - 1));
    return 0;
}
