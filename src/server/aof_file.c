/* aof_file.c - manifest and command-file formats of the multi-part AOF.
 * See aof_file.h for the contract.
 */
#include "aof_file.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../core/cfgfile.h"
#include "../core/err.h"
#include "../core/mem.h"
#include "../core/util.h"

/* ------------------------------------------------------------ manifest */

void aof_manifest_init(aof_manifest *m) {
    memset(m, 0, sizeof(*m));
}

static void free_parts(aof_part *parts, int n) {
    for (int i = 0; i < n; i++)
        sstr_free(parts[i].name);
    sk_free(parts);
}

void aof_manifest_clear(aof_manifest *m) {
    if (m->base) free_parts(m->base, 1);
    free_parts(m->incr, m->nincr);
    free_parts(m->hist, m->nhist);
    aof_manifest_init(m);
}

static void push_part(aof_part **arr, int *n, sstr name, long long seq, aof_part_type type) {
    *arr = sk_realloc(*arr, sizeof(aof_part) * (size_t)(*n + 1));
    (*arr)[*n] = (aof_part){name, seq, type};
    (*n)++;
}

/* A plain file name: a manifest must not name files elsewhere. */
static int is_base_name(const sstr s) {
    size_t len = sstr_len(s);
    if (len == 0 || memchr(s, '/', len) || memchr(s, '\0', len)) return 0;
    return strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

static int fail(char *err, size_t errlen, const char *msg, int lineno) {
    if (lineno > 0)
        snprintf(err, errlen, "%s (manifest line %d)", msg, lineno);
    else
        snprintf(err, errlen, "%s", msg);
    return SK_ECORRUPT;
}

/* One non-comment line. 0 or SK_ECORRUPT. */
static int parse_line(aof_manifest *m, const char *line, size_t len, long long *maxseq,
                      const char **why) {
    int argc = 0, rc = SK_ECORRUPT;
    sstr *argv = cfgfile_split_args(line, len, &argc);
    sstr name = NULL;
    long long seq = 0;
    int type = 0;
    *why = "Invalid AOF manifest file format";
    if (!argv || argc < 6 || argc % 2) goto cleanup;
    for (int i = 0; i < argc; i += 2) {
        const sstr k = argv[i], v = argv[i + 1];
        if (!strcasecmp(k, "file")) {
            if (!is_base_name(v)) {
                *why = "File can't be a path, just a filename";
                goto cleanup;
            }
            sstr_free(name);
            name = sstr_dup(v);
        } else if (!strcasecmp(k, "seq")) {
            if (!util_str_to_ll(v, sstr_len(v), &seq) || seq <= 0) goto cleanup;
        } else if (!strcasecmp(k, "type")) {
            type = sstr_len(v) == 1 ? v[0] : '?';
        }
    }
    if (!name || !seq || !type) goto cleanup;
    if (type == AOF_PART_BASE) {
        if (m->base) {
            *why = "Found duplicate base file information";
            goto cleanup;
        }
        m->base = sk_malloc(sizeof(aof_part));
        *m->base = (aof_part){name, seq, AOF_PART_BASE};
        m->curr_base_seq = seq;
    } else if (type == AOF_PART_HIST) {
        push_part(&m->hist, &m->nhist, name, seq, AOF_PART_HIST);
    } else if (type == AOF_PART_INCR) {
        if (seq <= *maxseq) {
            *why = "Found a non-monotonic sequence number";
            goto cleanup;
        }
        push_part(&m->incr, &m->nincr, name, seq, AOF_PART_INCR);
        m->curr_incr_seq = *maxseq = seq;
    } else {
        *why = "Unknown AOF file type";
        goto cleanup;
    }
    name = NULL; /* the manifest owns it now */
    rc = 0;
cleanup:
    sstr_free(name);
    if (argv) cfgfile_free_args(argv, argc);
    return rc;
}

int aof_manifest_parse(aof_manifest *m, const char *text, size_t len, char *err, size_t errlen) {
    aof_manifest_init(m);
    long long maxseq = 0;
    int lineno = 0;
    size_t pos = 0;
    while (pos < len) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t linelen = nl ? (size_t)(nl - line) : len - pos;
        pos += linelen + (nl ? 1 : 0);
        lineno++;
        if (linelen > AOF_MANIFEST_MAX_LINE) {
            aof_manifest_clear(m);
            return fail(err, errlen, "The AOF manifest file contains too long line", lineno);
        }
        if (line[0] == '#') continue;
        /* Trim " \t\r" as Redis does; an empty line is an error there too. */
        while (linelen && strchr(" \t\r", line[linelen - 1]))
            linelen--;
        while (linelen && strchr(" \t\r", line[0])) {
            line++;
            linelen--;
        }
        const char *why;
        if (linelen == 0 || parse_line(m, line, linelen, &maxseq, &why) < 0) {
            aof_manifest_clear(m);
            return fail(err, errlen, linelen ? why : "Invalid AOF manifest file format", lineno);
        }
    }
    if (lineno == 0) return fail(err, errlen, "Found an empty AOF manifest", 0);
    if (!m->base && m->nincr == 0) {
        aof_manifest_clear(m);
        return fail(err, errlen, "The AOF manifest names no base and no incr file", 0);
    }
    return 0;
}

static int needs_quotes(const sstr name) {
    for (size_t i = 0; i < sstr_len(name); i++) {
        unsigned char ch = (unsigned char)name[i];
        if (ch <= ' ' || ch >= 0x7f || ch == '"' || ch == '\'' || ch == '\\') return 1;
    }
    return 0;
}

/* Names we write are plain; any other is quoted so that splitting the line
 * (cfgfile_split_args, as Redis's sdssplitargs) gives it back. */
static void format_part(sbuf *out, const aof_part *p) {
    sbuf_append_str(out, "file ");
    if (needs_quotes(p->name)) {
        sbuf_append_char(out, '"');
        for (size_t i = 0; i < sstr_len(p->name); i++) {
            unsigned char ch = (unsigned char)p->name[i];
            if (ch == '"' || ch == '\\')
                sbuf_appendf(out, "\\%c", ch);
            else if (ch < ' ' || ch >= 0x7f)
                sbuf_appendf(out, "\\x%02x", ch);
            else
                sbuf_append_char(out, (char)ch);
        }
        sbuf_append_char(out, '"');
    } else {
        sbuf_append(out, p->name, sstr_len(p->name));
    }
    sbuf_appendf(out, " seq %lld type %c\n", p->seq, (char)p->type);
}

void aof_manifest_format(const aof_manifest *m, sbuf *out) {
    if (m->base) format_part(out, m->base);
    for (int i = 0; i < m->nhist; i++)
        format_part(out, &m->hist[i]);
    for (int i = 0; i < m->nincr; i++)
        format_part(out, &m->incr[i]);
}

void aof_manifest_add_incr(aof_manifest *m, const char *name, long long seq) {
    push_part(&m->incr, &m->nincr, sstr_from_cstr(name), seq, AOF_PART_INCR);
    if (seq > m->curr_incr_seq) m->curr_incr_seq = seq;
}

void aof_manifest_set_base(aof_manifest *m, const char *name, long long seq) {
    if (m->base) {
        push_part(&m->hist, &m->nhist, m->base->name, m->base->seq, AOF_PART_HIST);
        sk_free(m->base);
    }
    m->base = sk_malloc(sizeof(aof_part));
    *m->base = (aof_part){sstr_from_cstr(name), seq, AOF_PART_BASE};
    if (seq > m->curr_base_seq) m->curr_base_seq = seq;
}

void aof_manifest_retire(aof_manifest *m, long long upto_incr_seq) {
    int kept = 0;
    for (int i = 0; i < m->nincr; i++) {
        if (m->incr[i].seq <= upto_incr_seq)
            push_part(&m->hist, &m->nhist, m->incr[i].name, m->incr[i].seq, AOF_PART_HIST);
        else
            m->incr[kept++] = m->incr[i];
    }
    m->nincr = kept;
}

sstr aof_base_name(const char *prefix, long long seq, int rdb) {
    return sstr_catfmt(sstr_empty(), "%s.%lld.base.%s", prefix, seq, rdb ? "rdb" : "aof");
}

sstr aof_incr_name(const char *prefix, long long seq) {
    return sstr_catfmt(sstr_empty(), "%s.%lld.incr.aof", prefix, seq);
}

sstr aof_manifest_name(const char *prefix) {
    return sstr_catfmt(sstr_empty(), "%s.manifest", prefix);
}

/* ------------------------------------------------------------ commands */

void aof_free_argv(sstr *argv, int argc) {
    if (!argv) return;
    for (int i = 0; i < argc; i++)
        sstr_free(argv[i]);
    sk_free(argv);
}

/* Reads "<prefix><integer>\r\n" at buf[*pos]. 1, 0 (input ends), or -1. */
static int read_int_line(const char *buf, size_t len, size_t *pos, char prefix, long long *out) {
    if (*pos >= len) return 0;
    if (buf[*pos] != prefix) return -1;
    const char *start = buf + *pos + 1;
    size_t avail = len - *pos - 1;
    const char *cr = memchr(start, '\r', avail > 32 ? 32 : avail);
    if (!cr) return avail >= 32 ? -1 : 0;
    size_t digits = (size_t)(cr - start);
    if ((size_t)(cr - buf) + 1 >= len) return 0; /* the '\n' is not there yet */
    if (cr[1] != '\n') return -1;
    if (!util_str_to_ll(start, digits, out)) return -1;
    *pos = (size_t)(cr - buf) + 2;
    return 1;
}

#define AOF_MAX_ARGC (1024 * 1024) /* as Redis's multibulk limit */

int aof_parse_command(const char *buf, size_t len, long long max_bulk, sstr **argv, int *argc,
                      size_t *used, char *err, size_t errlen) {
    size_t pos = 0;
    *argv = NULL;
    *argc = 0;
    /* Annotations: whole '#' lines. */
    while (pos < len && buf[pos] == '#') {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        if (!nl) break;
        pos = (size_t)(nl - buf) + 1;
    }
    *used = pos;
    if (pos >= len || buf[pos] == '#') return 0;
    long long n;
    int r = read_int_line(buf, len, &pos, '*', &n);
    if (r == 0) return 0;
    if (r < 0 || n < 1 || n > AOF_MAX_ARGC) {
        snprintf(err, errlen, "Bad file format reading the append only file");
        return SK_ECORRUPT;
    }
    sstr *v = sk_malloc(sizeof(sstr) * (size_t)n);
    int got = 0;
    for (; got < n; got++) {
        long long blen;
        r = read_int_line(buf, len, &pos, '$', &blen);
        if (r <= 0) break;
        if (blen < 0 || blen > max_bulk) {
            r = -1;
            break;
        }
        if (len - pos < (size_t)blen + 2) {
            r = 0;
            break;
        }
        if (buf[pos + (size_t)blen] != '\r' || buf[pos + (size_t)blen + 1] != '\n') {
            r = -1;
            break;
        }
        v[got] = sstr_new(buf + pos, (size_t)blen);
        pos += (size_t)blen + 2;
    }
    if (got < n) {
        aof_free_argv(v, got);
        if (r == 0) return 0;
        snprintf(err, errlen, "Bad file format reading the append only file");
        return SK_ECORRUPT;
    }
    *argv = v;
    *argc = (int)n;
    *used = pos;
    return 1;
}

/* "<c><n>\r\n" at p; the bytes written. */
static size_t put_header(char *p, char c, unsigned long long n) {
    p[0] = c;
    size_t len = 1 + (size_t)util_ull_to_str(p + 1, 24, n);
    p[len] = '\r';
    p[len + 1] = '\n';
    return len + 2;
}

/* Called for every write the AOF receives: one reservation, no printf. */
void aof_format_command(sbuf *out, sstr *argv, int argc) {
    size_t need = 24;
    for (int i = 0; i < argc; i++)
        need += 24 + sstr_len(argv[i]) + 2;
    sbuf_reserve(out, need);
    char *p = out->data + out->len;
    p += put_header(p, '*', (unsigned long long)argc);
    for (int i = 0; i < argc; i++) {
        size_t len = sstr_len(argv[i]);
        p += put_header(p, '$', len);
        memcpy(p, argv[i], len);
        p += len;
        p[0] = '\r';
        p[1] = '\n';
        p += 2;
    }
    sbuf_set_len(out, (size_t)(p - out->data));
}
