/* quicklist.c - list of listpack nodes; see quicklist.h for the contract.
 *
 * The node limits follow Redis 7.0's _quicklistNodeAllowInsert: a negative
 * fill is a byte budget per listpack, a positive one an entry count bounded
 * by an 8 KiB safety size. Compression (list-compress-depth) is not
 * implemented: the setting is stored so CONFIG GET and DEBUG-like reports
 * can show it, and nothing else depends on it.
 */
#include "quicklist.h"

#include <string.h>

#include "listpack.h"
#include "mem.h"

#define QL_SAFETY_SIZE 8192 /* positive fill: no node past this size (Redis SIZE_SAFETY_LIMIT) */

static const size_t fill_bytes[] = {4096, 8192, 16384, 32768, 65536};

/* ------------------------------------------------------------ nodes */

static quicklist_node *node_new(void) {
    quicklist_node *n = sk_calloc(1, sizeof(*n));
    n->lp = lp_new(0);
    return n;
}

static void node_free(quicklist_node *n) {
    lp_free(n->lp);
    sk_free(n);
}

/* May a node of new_sz bytes hold new_count entries? */
static int node_size_ok(const quicklist *ql, size_t new_sz, unsigned long new_count) {
    if (ql->fill < 0) {
        size_t level = (size_t)(-(long)ql->fill) - 1;
        if (level >= sizeof(fill_bytes) / sizeof(fill_bytes[0]))
            level = sizeof(fill_bytes) / sizeof(fill_bytes[0]) - 1;
        return new_sz <= fill_bytes[level];
    }
    if (new_sz > QL_SAFETY_SIZE) return 0;
    return new_count <= (unsigned long)ql->fill;
}

/* Would adding an element of len bytes keep the node within the limit? */
#define QUICKLIST_SIZE_ESTIMATE_OVERHEAD 8

static int node_allow_insert(const quicklist *ql, const quicklist_node *n, const void *s,
                             size_t len) {
    if (!n) return 0;
    if (!lp_safe_to_add(n->lp, lp_entry_size_str(s, len))) return 0;
    /* Redis 7.0's estimate (element bytes plus 8), not the exact encoded
     * size: nodes then split where Redis's do, and DUMP output matches. */
    return node_size_ok(ql, lp_bytes(n->lp) + len + QUICKLIST_SIZE_ESTIMATE_OVERHEAD,
                        (unsigned long)n->count + 1);
}

/* Links n after `after` (NULL: at the head). */
static void link_after(quicklist *ql, quicklist_node *after, quicklist_node *n) {
    n->prev = after;
    n->next = after ? after->next : ql->head;
    if (n->next)
        n->next->prev = n;
    else
        ql->tail = n;
    if (after)
        after->next = n;
    else
        ql->head = n;
    ql->len++;
}

static void unlink_node(quicklist *ql, quicklist_node *n) {
    if (n->prev)
        n->prev->next = n->next;
    else
        ql->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        ql->tail = n->prev;
    ql->len--;
    ql->count -= n->count;
    node_free(n);
}

static void fill_entry(quicklist_entry *e, quicklist_node *n, unsigned char *p) {
    uint32_t slen = 0;
    int64_t v = 0;
    e->node = n;
    e->p = p;
    e->str = lp_get(p, &slen, &v);
    e->len = slen;
    e->ival = v;
}

/* Node holding the element at index (negative from the tail) and the
 * element's offset inside it; NULL when out of range. */
static quicklist_node *locate(const quicklist *ql, long index, long *offset) {
    int forward = index >= 0;
    unsigned long want = forward ? (unsigned long)index : (unsigned long)(-(index + 1));
    if (want >= ql->count) return NULL;
    quicklist_node *n = forward ? ql->head : ql->tail;
    unsigned long seen = 0;
    while (n && seen + n->count <= want) {
        seen += n->count;
        n = forward ? n->next : n->prev;
    }
    if (!n) return NULL;
    unsigned long in = want - seen;
    *offset = forward ? (long)in : (long)n->count - 1 - (long)in;
    return n;
}

/* ------------------------------------------------------------ life cycle */

quicklist *quicklist_create(int fill, int compress) {
    quicklist *ql = sk_calloc(1, sizeof(*ql));
    quicklist_set_options(ql, fill, compress);
    return ql;
}

void quicklist_set_options(quicklist *ql, int fill, int compress) {
    ql->fill = fill == 0 ? 1 : fill;
    ql->compress = compress < 0 ? 0 : compress;
}

void quicklist_free(quicklist *ql) {
    if (!ql) return;
    quicklist_node *n = ql->head;
    while (n) {
        quicklist_node *next = n->next;
        node_free(n);
        n = next;
    }
    sk_free(ql);
}

quicklist *quicklist_dup(const quicklist *ql) {
    quicklist *copy = quicklist_create(ql->fill, ql->compress);
    for (const quicklist_node *n = ql->head; n; n = n->next) {
        quicklist_node *c = sk_calloc(1, sizeof(*c));
        c->lp = lp_dup(n->lp);
        c->count = n->count;
        link_after(copy, copy->tail, c);
        copy->count += c->count;
    }
    return copy;
}

unsigned long quicklist_count(const quicklist *ql) {
    return ql->count;
}

size_t quicklist_mem_usage(const quicklist *ql) {
    size_t total = sizeof(*ql);
    for (const quicklist_node *n = ql->head; n; n = n->next)
        total += sizeof(*n) + lp_bytes(n->lp);
    return total;
}

/* ------------------------------------------------------------ push / pop */

void quicklist_push(quicklist *ql, int where, const void *s, size_t len) {
    quicklist_node *n = where == QUICKLIST_HEAD ? ql->head : ql->tail;
    if (!node_allow_insert(ql, n, s, len)) {
        n = node_new();
        link_after(ql, where == QUICKLIST_HEAD ? NULL : ql->tail, n);
    }
    if (where == QUICKLIST_HEAD)
        n->lp = lp_prepend(n->lp, s, len);
    else
        n->lp = lp_append(n->lp, s, len);
    n->count++;
    ql->count++;
}

unsigned char *quicklist_pop(quicklist *ql, int where, size_t *len) {
    quicklist_node *n = where == QUICKLIST_HEAD ? ql->head : ql->tail;
    if (!n) return NULL;
    unsigned char *p = where == QUICKLIST_HEAD ? lp_first(n->lp) : lp_last(n->lp);
    unsigned char buf[LP_INTBUF_SIZE];
    uint32_t slen = 0;
    const unsigned char *s = lp_get_str(p, &slen, buf);
    /* One spare byte so callers may treat the copy as a C string. */
    unsigned char *out = sk_malloc((size_t)slen + 1);
    memcpy(out, s, slen);
    out[slen] = '\0';
    *len = slen;
    if (n->count == 1) {
        unlink_node(ql, n);
    } else {
        n->lp = lp_delete(n->lp, p, NULL);
        n->count--;
        ql->count--;
    }
    return out;
}

/* ------------------------------------------------------------ by index */

int quicklist_index(quicklist *ql, long index, quicklist_entry *e) {
    long off = 0;
    quicklist_node *n = locate(ql, index, &off);
    if (!n) return 0;
    fill_entry(e, n, lp_seek(n->lp, off));
    return 1;
}

/* Deletes the entry e (a valid position) and drops its node if emptied. */
static void delete_entry(quicklist *ql, quicklist_node *n, unsigned char *p) {
    if (n->count == 1) {
        unlink_node(ql, n);
        return;
    }
    n->lp = lp_delete(n->lp, p, NULL);
    n->count--;
    ql->count--;
}

int quicklist_replace_at_index(quicklist *ql, long index, const void *s, size_t len) {
    quicklist_entry e;
    if (!quicklist_index(ql, index, &e)) return 0;
    quicklist_node *n = e.node;
    size_t old = lp_entry_size(e.p);
    size_t add = lp_entry_size_str(s, len);
    int fits = n->count == 1 || add <= old ||
               (lp_safe_to_add(n->lp, add - old) &&
                node_size_ok(ql, lp_bytes(n->lp) - old + add, n->count));
    if (fits) {
        n->lp = lp_replace(n->lp, &e.p, s, len);
        return 1;
    }
    /* Too big for this node: delete and re-insert at the same index. */
    long pos = index >= 0 ? index : (long)ql->count + index;
    delete_entry(ql, n, e.p);
    if ((unsigned long)pos >= ql->count) {
        quicklist_push(ql, QUICKLIST_TAIL, s, len);
        return 1;
    }
    quicklist_index(ql, pos, &e);
    quicklist_insert(ql, &e, s, len, 0);
    return 1;
}

/* Offset of position p inside node n. */
static long offset_of(const quicklist_node *n, const unsigned char *p) {
    long off = 0;
    for (unsigned char *q = lp_first(n->lp); q && q != p; q = lp_next(n->lp, q))
        off++;
    return off;
}

/* Splits n so that its first `keep` entries stay and the rest move to a
 * new node linked after it; returns the new node. */
static quicklist_node *split_node(quicklist *ql, quicklist_node *n, long keep) {
    quicklist_node *right = sk_calloc(1, sizeof(*right));
    right->lp = lp_dup(n->lp);
    right->lp = lp_delete_range(right->lp, 0, (unsigned long)keep);
    right->count = n->count - (uint32_t)keep;
    n->lp = lp_delete_range(n->lp, keep, right->count);
    n->count = (uint32_t)keep;
    /* link_after counts a node, not entries: entries did not change. */
    link_after(ql, n, right);
    return right;
}

/* A new node holding only s, linked after `after` (NULL: at the head). */
static void insert_single_node(quicklist *ql, quicklist_node *after, const void *s, size_t len) {
    quicklist_node *n = node_new();
    n->lp = lp_append(n->lp, s, len);
    n->count = 1;
    link_after(ql, after, n);
}

void quicklist_insert(quicklist *ql, const quicklist_entry *e, const void *s, size_t len,
                      int after) {
    quicklist_node *n = e->node;
    if (node_allow_insert(ql, n, s, len)) {
        n->lp = lp_insert(n->lp, s, len, e->p, after ? LP_AFTER : LP_BEFORE, NULL);
        n->count++;
        ql->count++;
        return;
    }
    int at_tail = after && lp_next(n->lp, e->p) == NULL;
    int at_head = !after && lp_prev(n->lp, e->p) == NULL;
    if (at_tail && node_allow_insert(ql, n->next, s, len)) {
        n->next->lp = lp_prepend(n->next->lp, s, len);
        n->next->count++;
    } else if (at_head && node_allow_insert(ql, n->prev, s, len)) {
        n->prev->lp = lp_append(n->prev->lp, s, len);
        n->prev->count++;
    } else if (at_tail) {
        insert_single_node(ql, n, s, len);
    } else if (at_head) {
        insert_single_node(ql, n->prev, s, len);
    } else {
        /* In the middle of a full node: split it at the insertion point. */
        long keep = offset_of(n, e->p) + (after ? 1 : 0);
        quicklist_node *right = split_node(ql, n, keep);
        if (node_allow_insert(ql, n, s, len)) {
            n->lp = lp_append(n->lp, s, len);
            n->count++;
        } else if (node_allow_insert(ql, right, s, len)) {
            right->lp = lp_prepend(right->lp, s, len);
            right->count++;
        } else {
            insert_single_node(ql, n, s, len);
        }
    }
    ql->count++;
}

unsigned long quicklist_del_range(quicklist *ql, long start, unsigned long count) {
    if (count == 0) return 0;
    long off = 0;
    quicklist_node *n = locate(ql, start, &off);
    if (!n) return 0;
    unsigned long pos = start >= 0 ? (unsigned long)start : ql->count - (unsigned long)(-start);
    unsigned long left = ql->count - pos;
    if (count > left) count = left;
    unsigned long remaining = count;
    while (n && remaining) {
        quicklist_node *next = n->next;
        unsigned long here = n->count - (unsigned long)off;
        if (here > remaining) here = remaining;
        if (off == 0 && here == n->count) {
            unlink_node(ql, n);
        } else {
            n->lp = lp_delete_range(n->lp, off, here);
            n->count -= (uint32_t)here;
            ql->count -= here;
        }
        remaining -= here;
        off = 0;
        n = next;
    }
    return count;
}

int quicklist_entry_equal(const quicklist_entry *e, const void *s, size_t len) {
    if (e->str) return e->len == len && memcmp(e->str, s, len) == 0;
    int64_t v;
    return lp_string_to_int64(s, len, &v) && v == e->ival;
}

/* ------------------------------------------------------------ iteration */

/* Makes (node, p) the next position to return, moving to further nodes in
 * the iterator's direction while p is NULL. */
static void iter_settle(quicklist_iter *it, quicklist_node *n, unsigned char *p) {
    int fwd = it->direction == QUICKLIST_HEAD;
    while (n && !p) {
        n = fwd ? n->next : n->prev;
        if (n) p = fwd ? lp_first(n->lp) : lp_last(n->lp);
    }
    it->node = n;
    it->p = p;
    it->started = 0;
}

int quicklist_iter_init(quicklist_iter *it, quicklist *ql, int direction, long start) {
    memset(it, 0, sizeof(*it));
    it->ql = ql;
    it->direction = direction;
    long off = 0;
    quicklist_node *n = locate(ql, start, &off);
    if (!n) return 0;
    it->node = n;
    it->p = lp_seek(n->lp, off);
    return 1;
}

int quicklist_next(quicklist_iter *it, quicklist_entry *e) {
    if (!it->node) return 0;
    if (it->started) {
        unsigned char *p = it->direction == QUICKLIST_HEAD ? lp_next(it->node->lp, it->p)
                                                           : lp_prev(it->node->lp, it->p);
        iter_settle(it, it->node, p);
        if (!it->node) return 0;
    }
    it->started = 1;
    fill_entry(e, it->node, it->p);
    return 1;
}

void quicklist_iter_del(quicklist_iter *it, quicklist_entry *e) {
    quicklist *ql = it->ql;
    quicklist_node *n = e->node;
    int fwd = it->direction == QUICKLIST_HEAD;
    if (n->count == 1) {
        quicklist_node *neighbour = fwd ? n->next : n->prev;
        unlink_node(ql, n);
        it->node = neighbour;
        it->p = neighbour ? (fwd ? lp_first(neighbour->lp) : lp_last(neighbour->lp)) : NULL;
        it->started = 0;
        return;
    }
    unsigned char *follow = NULL;
    n->lp = lp_delete(n->lp, e->p, &follow);
    n->count--;
    ql->count--;
    unsigned char *p = fwd ? follow : (follow ? lp_prev(n->lp, follow) : lp_last(n->lp));
    iter_settle(it, n, p);
}
