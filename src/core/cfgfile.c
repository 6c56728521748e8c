/* cfgfile.c - redis.conf tokenizer (the rules of Redis's sdssplitargs).
 *
 * The input is a byte range, not a C string; a NUL byte ends a line as it
 * does for Redis, which reads lines as C strings.
 */
#include "cfgfile.h"

#include "err.h"
#include "mem.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct cfg_cursor {
    const char *p;
    const char *end;
} cfg_cursor;

/* The byte at offset k from the cursor, 0 past the end (the C-string view). */
static inline char cfg_at(const cfg_cursor *c, size_t k) {
    return (size_t)(c->end - c->p) > k ? c->p[k] : '\0';
}

static int cfg_hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static char cfg_unescape(char c) {
    switch (c) {
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    case 'b':
        return '\b';
    case 'a':
        return '\a';
    default:
        return c;
    }
}

/* A closing quote is valid only before a space or the end of the line. */
static bool cfg_close_ok(const cfg_cursor *c) {
    char n = cfg_at(c, 1);
    return n == '\0' || isspace((unsigned char)n);
}

/* Inside "...": returns 1 when the token is done, 0 to go on, -1 on error. */
static int cfg_step_dquote(cfg_cursor *c, sstr *cur) {
    char ch = cfg_at(c, 0);
    if (ch == '\\' && cfg_at(c, 1) == 'x' && cfg_hexval(cfg_at(c, 2)) >= 0 &&
        cfg_hexval(cfg_at(c, 3)) >= 0) {
        char byte = (char)(cfg_hexval(cfg_at(c, 2)) * 16 + cfg_hexval(cfg_at(c, 3)));
        *cur = sstr_cat(*cur, &byte, 1);
        c->p += 3;
    } else if (ch == '\\' && cfg_at(c, 1) != '\0') {
        c->p++;
        char u = cfg_unescape(cfg_at(c, 0));
        *cur = sstr_cat(*cur, &u, 1);
    } else if (ch == '"') {
        return cfg_close_ok(c) ? 1 : -1;
    } else if (ch == '\0') {
        return -1; /* unterminated */
    } else {
        *cur = sstr_cat(*cur, &ch, 1);
    }
    return 0;
}

/* Inside '...': only \' is an escape. */
static int cfg_step_squote(cfg_cursor *c, sstr *cur) {
    char ch = cfg_at(c, 0);
    if (ch == '\\' && cfg_at(c, 1) == '\'') {
        c->p++;
        *cur = sstr_cat(*cur, "'", 1);
    } else if (ch == '\'') {
        return cfg_close_ok(c) ? 1 : -1;
    } else if (ch == '\0') {
        return -1;
    } else {
        *cur = sstr_cat(*cur, &ch, 1);
    }
    return 0;
}

/* Reads one argument starting at a non-space byte. Returns 0 or -1. */
static int cfg_read_token(cfg_cursor *c, sstr *out) {
    enum { PLAIN, DQ, SQ } mode = PLAIN;
    sstr cur = sstr_empty();
    for (;;) {
        int done = 0;
        char ch = cfg_at(c, 0);
        if (mode == DQ) {
            done = cfg_step_dquote(c, &cur);
        } else if (mode == SQ) {
            done = cfg_step_squote(c, &cur);
        } else if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t' || ch == '\0') {
            done = 1;
        } else if (ch == '"') {
            mode = DQ; /* a quote may open in the middle of a token: a"b c" is one */
        } else if (ch == '\'') {
            mode = SQ;
        } else {
            cur = sstr_cat(cur, &ch, 1);
        }
        if (done < 0) {
            sstr_free(cur);
            return -1;
        }
        if (cfg_at(c, 0) != '\0') c->p++;
        if (done) break;
    }
    *out = cur;
    return 0;
}

sstr *cfgfile_split_args(const char *line, size_t len, int *argc) {
    cfg_cursor c = {line, line + len};
    const char *nul = memchr(line, '\0', len);
    if (nul) c.end = nul;
    sstr *argv = NULL;
    int n = 0, cap = 0;
    for (;;) {
        while (c.p < c.end && isspace((unsigned char)*c.p))
            c.p++;
        if (c.p >= c.end) break;
        sstr tok;
        if (cfg_read_token(&c, &tok) < 0) {
            cfgfile_free_args(argv, n);
            *argc = 0;
            return NULL;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 4;
            argv = sk_realloc(argv, (size_t)cap * sizeof(sstr));
        }
        argv[n++] = tok;
    }
    if (!argv) argv = sk_malloc(sizeof(sstr)); /* non-NULL even when empty: NULL means error */
    *argc = n;
    return argv;
}

void cfgfile_free_args(sstr *argv, int argc) {
    if (!argv) return;
    for (int i = 0; i < argc; i++)
        sstr_free(argv[i]);
    sk_free(argv);
}

static bool cfg_is_trim(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void cfg_doc_push(cfg_doc *doc, int *cap, int lineno, sstr *argv, int argc) {
    if (doc->count == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        doc->lines = sk_realloc(doc->lines, (size_t)*cap * sizeof(cfg_line));
    }
    for (size_t i = 0; i < sstr_len(argv[0]); i++)
        argv[0][i] = (char)tolower((unsigned char)argv[0][i]);
    cfg_line *l = &doc->lines[doc->count++];
    l->lineno = lineno;
    l->argc = argc;
    l->argv = argv;
}

int cfgfile_parse(const char *text, size_t len, cfg_doc *out, char *err, size_t errlen) {
    cfg_doc doc = {NULL, 0};
    int cap = 0, lineno = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        const char *b = p, *e = eol;
        lineno++;
        p = nl ? nl + 1 : end;
        while (b < e && cfg_is_trim(*b))
            b++;
        while (e > b && cfg_is_trim(e[-1]))
            e--;
        if (b == e || *b == '#') continue;
        int argc;
        sstr *argv = cfgfile_split_args(b, (size_t)(e - b), &argc);
        if (!argv) {
            if (err && errlen)
                snprintf(err, errlen, "line %d: Unbalanced quotes in configuration line", lineno);
            cfgfile_doc_free(&doc);
            return SK_EPROTO;
        }
        if (argc == 0) {
            cfgfile_free_args(argv, argc);
            continue;
        }
        cfg_doc_push(&doc, &cap, lineno, argv, argc);
    }
    *out = doc;
    return 0;
}

int cfgfile_read_file(const char *path, cfg_doc *out, char *err, size_t errlen) {
    int rc = 0;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    FILE *f = fopen(path, "re");
    if (!f) {
        rc = -errno;
        if (err && errlen)
            snprintf(err, errlen, "can't open config file '%s': %s", path, strerror(-rc));
        return rc;
    }
    for (;;) {
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 8192;
            buf = sk_realloc(buf, cap);
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) break;
        if (len > CFGFILE_MAX_SIZE) { /* "include /dev/zero" must not eat all memory */
            rc = SK_ETOOBIG;
            if (err && errlen) snprintf(err, errlen, "config file '%s' is too big", path);
            goto cleanup;
        }
    }
    if (ferror(f)) {
        rc = -EIO;
        if (err && errlen) snprintf(err, errlen, "error reading config file '%s'", path);
        goto cleanup;
    }
    rc = cfgfile_parse(buf, len, out, err, errlen);
cleanup:
    fclose(f);
    sk_free(buf);
    return rc;
}

void cfgfile_doc_free(cfg_doc *doc) {
    for (int i = 0; i < doc->count; i++)
        cfgfile_free_args(doc->lines[i].argv, doc->lines[i].argc);
    sk_free(doc->lines);
    doc->lines = NULL;
    doc->count = 0;
}
