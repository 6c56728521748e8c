/* sstr.h - binary-safe heap strings that are plain char pointers.
 *
 * An sstr points at its bytes; a small header before them stores length and
 * capacity in 1, 2, 4 or 8 byte fields chosen by size (the idea of Redis's
 * sds). The bytes are always followed by a NUL, so an sstr can be passed
 * where a C string is read. Each sstr has one owner, who frees it with
 * sstr_free(). Functions that may grow the string return the (possibly moved)
 * new pointer; the old one must not be used after. Allocation failure aborts.
 */
#ifndef SEALKV_CORE_SSTR_H
#define SEALKV_CORE_SSTR_H

#include <stddef.h>
#include <stdint.h>

typedef char *sstr;

sstr sstr_new(const void *p, size_t len); /* p may be NULL: len zero bytes */
sstr sstr_from_cstr(const char *s);
sstr sstr_empty(void);
sstr sstr_from_ll(long long v);
sstr sstr_dup(const sstr s);
void sstr_free(sstr s); /* NULL is fine */

size_t sstr_len(const sstr s);
size_t sstr_avail(const sstr s);
void sstr_set_len(sstr s, size_t len); /* len <= len + avail; writes the NUL */
size_t sstr_alloc_size(const sstr s);  /* bytes of the whole allocation */

sstr sstr_cat(sstr s, const void *p, size_t len);
sstr sstr_cat_cstr(sstr s, const char *t);
sstr sstr_cat_sstr(sstr s, const sstr t);
sstr sstr_catfmt(sstr s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
sstr sstr_make_room(sstr s, size_t addlen);              /* greedy: doubles up to 1 MiB */
sstr sstr_grow_zero(sstr s, size_t len);                 /* extends to len with zero bytes */
sstr sstr_remove_free(sstr s);                           /* drops unused capacity */
void sstr_range(sstr s, ptrdiff_t start, ptrdiff_t end); /* in place, Redis sdsrange rules */
void sstr_clear(sstr s);

/* memcmp order, shorter first on a common prefix (Redis sdscmp). */
int sstr_cmp(const sstr a, const sstr b);

#endif
