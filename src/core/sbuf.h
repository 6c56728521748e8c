/* sbuf.h - a growable byte buffer for I/O and for building text.
 *
 * The struct is owned by its embedder; sbuf owns `data` (heap, may be NULL
 * while cap == 0). data[len] is always a NUL byte when data != NULL, so the
 * contents can be used as a C string when they hold no NUL of their own.
 * Allocation failure aborts (core/mem.h), so appends cannot fail.
 */
#ifndef SEALKV_CORE_SBUF_H
#define SEALKV_CORE_SBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct sbuf {
    char *data; /* owned */
    size_t len;
    size_t cap; /* usable bytes, not counting the trailing NUL */
} sbuf;

/* clang-format off */
#define SBUF_INIT {NULL, 0, 0}
/* clang-format on */

void sbuf_init(sbuf *b);
void sbuf_free(sbuf *b);                  /* releases data; b is empty and reusable afterwards */
void sbuf_clear(sbuf *b);                 /* len = 0, keeps the allocation */
void sbuf_reserve(sbuf *b, size_t extra); /* ensures cap - len >= extra */
void sbuf_append(sbuf *b, const void *p, size_t n);
void sbuf_append_str(sbuf *b, const char *s);
void sbuf_append_char(sbuf *b, char c);
void sbuf_appendf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_vappendf(sbuf *b, const char *fmt, va_list ap);
void sbuf_consume(sbuf *b, size_t n);   /* drops the first n bytes */
void sbuf_set_len(sbuf *b, size_t len); /* after writing into data+len directly */
/* Shrinks the allocation to fit when it is mostly unused (over 32 KiB free). */
void sbuf_trim(sbuf *b);

#endif
