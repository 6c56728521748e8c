/* quicklist.h - the list value of Redis 7.0: a doubly linked list of
 * listpack nodes.
 *
 * Each node holds one listpack (src/core/listpack.h, Redis's byte format)
 * whose size is bounded by `fill`, the list-max-listpack-size directive:
 *   fill < 0  a byte limit per node: -1 4 KiB, -2 8 KiB, -3 16 KiB,
 *             -4 32 KiB, -5 64 KiB (values below -5 behave as -5);
 *   fill > 0  at most `fill` entries per node, and never more than 8 KiB
 *             per node unless the node holds a single entry (Redis's
 *             "safety limit");
 *   fill = 0  is treated as 1 (Redis: a node always accepts one entry).
 * An entry larger than the limit gets a node of its own.
 * list-compress-depth is accepted and remembered but nodes are never
 * compressed (no LZF): replies and semantics do not depend on it.
 *
 * Ownership: the quicklist owns its nodes and their listpacks. Entries and
 * iterators borrow from the quicklist and become stale after any change that
 * is not made through them (the iterator delete below keeps its iterator
 * valid). Not thread-safe; no global state.
 */
#ifndef SEALKV_CORE_QUICKLIST_H
#define SEALKV_CORE_QUICKLIST_H

#include <stddef.h>
#include <stdint.h>

typedef struct quicklist_node {
    struct quicklist_node *prev, *next;
    unsigned char *lp; /* owned listpack */
    uint32_t count;    /* entries in lp (cached lp_length) */
} quicklist_node;

typedef struct quicklist {
    quicklist_node *head, *tail; /* owned */
    unsigned long count;         /* entries in all nodes */
    unsigned long len;           /* nodes */
    int fill;                    /* list-max-listpack-size */
    int compress;                /* list-compress-depth: recorded only */
} quicklist;

enum { QUICKLIST_HEAD = 0, QUICKLIST_TAIL = 1 };

/* One element as read from a node. Either str/len (a string entry) or, when
 * str is NULL, the integer ival. Borrowed pointers. */
typedef struct quicklist_entry {
    quicklist_node *node;
    unsigned char *p;         /* position in node->lp */
    const unsigned char *str; /* NULL for an integer entry */
    size_t len;
    long long ival;
} quicklist_entry;

typedef struct quicklist_iter {
    quicklist *ql;
    quicklist_node *node; /* current node, NULL when done */
    unsigned char *p;     /* next position to return in node, NULL: node start */
    int direction;        /* QUICKLIST_HEAD: head to tail; QUICKLIST_TAIL: tail to head */
    int started;          /* p is meaningful */
} quicklist_iter;

quicklist *quicklist_create(int fill, int compress);
void quicklist_free(quicklist *ql); /* NULL is fine */
quicklist *quicklist_dup(const quicklist *ql);
void quicklist_set_options(quicklist *ql, int fill, int compress);

unsigned long quicklist_count(const quicklist *ql);
/* Heap bytes of the structure, nodes and listpacks. */
size_t quicklist_mem_usage(const quicklist *ql);

/* Adds s at the head (QUICKLIST_HEAD) or the tail. */
void quicklist_push(quicklist *ql, int where, const void *s, size_t len);

/* Removes the head or tail element; returns its text (integers in decimal)
 * in a buffer the caller frees with sk_free, its length in *len. NULL when
 * the list is empty. */
unsigned char *quicklist_pop(quicklist *ql, int where, size_t *len);

/* Entry at index (negative counts from the tail). Returns 1 and fills *e,
 * or 0 when out of range. */
int quicklist_index(quicklist *ql, long index, quicklist_entry *e);
/* Replaces the element at index; returns 1, or 0 when out of range. */
int quicklist_replace_at_index(quicklist *ql, long index, const void *s, size_t len);
/* Inserts s before (after == 0) or after the entry e (from quicklist_index
 * or an iterator). e and every iterator are stale afterwards. */
void quicklist_insert(quicklist *ql, const quicklist_entry *e, const void *s, size_t len,
                      int after);
/* Deletes count elements from start (negative from the tail); returns how
 * many were deleted (fewer when the list ends first). */
unsigned long quicklist_del_range(quicklist *ql, long start, unsigned long count);

/* 1 if the entry equals the string s (an integer equals its decimal text). */
int quicklist_entry_equal(const quicklist_entry *e, const void *s, size_t len);

/* Iteration from the head (direction QUICKLIST_HEAD) or from the tail,
 * starting at index start (negative from the tail). Returns 0 (and an
 * iterator that yields nothing) when start is out of range. */
int quicklist_iter_init(quicklist_iter *it, quicklist *ql, int direction, long start);
/* Next entry; 1 with *e filled, 0 when done. */
int quicklist_next(quicklist_iter *it, quicklist_entry *e);
/* Deletes the entry last returned by quicklist_next; the iterator stays
 * valid and continues with the element after it (in its direction). */
void quicklist_iter_del(quicklist_iter *it, quicklist_entry *e);

#endif
