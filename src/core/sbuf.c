/* sbuf.c - growable byte buffer. */
#include "sbuf.h"

#include "mem.h"

#include <stdio.h>
#include <string.h>

#define SBUF_TRIM_SLACK (32 * 1024)

void sbuf_init(sbuf *b) {
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void sbuf_free(sbuf *b) {
    sk_free(b->data);
    sbuf_init(b);
}

void sbuf_clear(sbuf *b) {
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

void sbuf_reserve(sbuf *b, size_t extra) {
    if (b->cap - b->len >= extra && b->data) return;
    size_t need = b->len + extra;
    size_t cap = b->cap ? b->cap : 64;
    /* Double to keep appends amortised O(1); past 1 MiB grow by 1 MiB steps
     * plus the need so huge buffers do not overshoot by half a gigabyte. */
    while (cap < need) {
        if (cap < 1024 * 1024)
            cap *= 2;
        else
            cap = need + 1024 * 1024;
    }
    b->data = sk_realloc(b->data, cap + 1);
    b->cap = cap;
    b->data[b->len] = '\0';
}

void sbuf_append(sbuf *b, const void *p, size_t n) {
    sbuf_reserve(b, n);
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void sbuf_append_str(sbuf *b, const char *s) {
    sbuf_append(b, s, strlen(s));
}

void sbuf_append_char(sbuf *b, char c) {
    sbuf_append(b, &c, 1);
}

void sbuf_vappendf(sbuf *b, const char *fmt, va_list ap) {
    va_list cp;
    sbuf_reserve(b, 64);
    va_copy(cp, ap);
    int n = vsnprintf(b->data + b->len, b->cap - b->len + 1, fmt, cp);
    va_end(cp);
    if (n < 0) return;
    if ((size_t)n > b->cap - b->len) {
        sbuf_reserve(b, (size_t)n);
        va_copy(cp, ap);
        n = vsnprintf(b->data + b->len, b->cap - b->len + 1, fmt, cp);
        va_end(cp);
        if (n < 0) {
            b->data[b->len] = '\0';
            return;
        }
    }
    b->len += (size_t)n;
}

void sbuf_appendf(sbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    sbuf_vappendf(b, fmt, ap);
    va_end(ap);
}

void sbuf_consume(sbuf *b, size_t n) {
    if (n >= b->len) {
        sbuf_clear(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

void sbuf_set_len(sbuf *b, size_t len) {
    if (!b->data) return; /* nothing was reserved, so nothing can have been written */
    if (len > b->cap) len = b->cap;
    b->len = len;
    b->data[len] = '\0';
}

void sbuf_trim(sbuf *b) {
    if (!b->data || b->cap - b->len <= SBUF_TRIM_SLACK) return;
    if (b->len == 0) {
        sbuf_free(b);
        return;
    }
    b->data = sk_realloc(b->data, b->len + 1);
    b->cap = b->len;
}
