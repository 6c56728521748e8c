/* scan.c - shared parts of the SCAN family (see scan.h). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "../core/util.h"
#include "scan.h"

int scan_parse_cursor(client *c, int i, unsigned long long *out) {
    const char *s = c->argv[i];
    char *end;
    errno = 0;
    *out = strtoull(s, &end, 10);
    if (isspace((unsigned char)s[0]) || *end != '\0' || errno == ERANGE) {
        add_reply_error(c, "ERR invalid cursor");
        return -1;
    }
    return 0;
}

int scan_parse_opts(client *c, int first, int allow_type, scan_opts *o) {
    for (int i = first; i < c->argc; i += 2) {
        int has_value = c->argc - i >= 2;
        if (arg_is(c, i, "count") && has_value) {
            if (get_ll_from_arg(c, i + 1, &o->count, NULL) < 0) return -1;
            if (o->count < 1) {
                add_reply_syntax_error(c);
                return -1;
            }
        } else if (arg_is(c, i, "match") && has_value) {
            o->pat = c->argv[i + 1];
            o->plen = sstr_len(c->argv[i + 1]);
            o->use_pat = !(o->plen == 1 && o->pat[0] == '*');
        } else if (allow_type && arg_is(c, i, "type") && has_value) {
            o->type = c->argv[i + 1];
        } else {
            add_reply_syntax_error(c);
            return -1;
        }
    }
    return 0;
}

int scan_matches(const scan_opts *o, const char *s, size_t len) {
    return !o->use_pat || util_glob_match(o->pat, o->plen, s, len, 0);
}

unsigned long long scan_dict(dict *d, unsigned long long cursor, long long count, dict_scan_fn *fn,
                             void *priv, const size_t *collected) {
    long long max_iter = count > LLONG_MAX / 10 ? LLONG_MAX : count * 10;
    do {
        cursor = dict_scan(d, cursor, fn, priv);
    } while (cursor && max_iter-- && *collected < (unsigned long long)count);
    return cursor;
}

void scan_reply_header(client *c, unsigned long long cursor, long long n) {
    char buf[32];
    int len = util_ull_to_str(buf, sizeof(buf), cursor);
    add_reply_array(c, 2);
    add_reply_bulk(c, buf, (size_t)len);
    add_reply_array(c, n);
}
