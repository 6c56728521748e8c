/* aof_file.h - the on-disk formats of Redis 7.0's multi-part append-only
 * file, as pure functions (bytes in, result out; no I/O), so that a fuzzer
 * drives them directly.
 *
 * The manifest (<appendfilename>.manifest in <appenddirname>) lists the
 * parts, one per line:
 *     file appendonly.aof.1.base.rdb seq 1 type b
 *     file appendonly.aof.1.incr.aof seq 1 type i
 * Each line is key/value pairs split as Redis splits arguments (quotes and
 * escapes allowed); "file", "seq" and "type" are required, other keys are
 * ignored (forward compatibility), lines starting with '#' are comments.
 * Types: b (base, at most one), i (incremental, seq strictly increasing in
 * file order), h (history: left over from a rewrite, to delete).
 *
 * Parts hold commands as RESP arrays of bulk strings ("*2\r\n$3\r\nDEL\r\n
 * ..."); lines starting with '#' between commands are annotations (Redis's
 * timestamps) and are skipped. A base part may instead be an RDB file
 * (it then starts with "REDIS").
 *
 * Ownership: aof_manifest owns its entries and their names; argv returned
 * by aof_parse_command is owned by the caller (aof_free_argv).
 */
#ifndef SEALKV_SERVER_AOF_FILE_H
#define SEALKV_SERVER_AOF_FILE_H

#include <stddef.h>

#include "../core/sbuf.h"
#include "../core/sstr.h"

#define AOF_MANIFEST_MAX_LINE 1024 /* as Redis: longer lines are refused */

typedef enum { AOF_PART_BASE = 'b', AOF_PART_HIST = 'h', AOF_PART_INCR = 'i' } aof_part_type;

typedef struct aof_part {
    sstr name; /* owned: the file name, without directory */
    long long seq;
    aof_part_type type;
} aof_part;

typedef struct aof_manifest {
    aof_part *base; /* owned, NULL when there is none */
    aof_part *incr; /* owned array, in sequence order */
    int nincr;
    aof_part *hist; /* owned array */
    int nhist;
    long long curr_base_seq; /* highest seq used by a base so far */
    long long curr_incr_seq; /* highest seq used by an incr part so far */
} aof_manifest;

void aof_manifest_init(aof_manifest *m);
void aof_manifest_clear(aof_manifest *m); /* frees everything; m is empty again */

/* Parses a manifest text. 0, or SK_ECORRUPT with a one-line reason in err
 * (m is then empty). A part's name must be a plain file name (no '/', not
 * "." or ".."), so a manifest never points outside its directory. */
int aof_manifest_parse(aof_manifest *m, const char *text, size_t len, char *err, size_t errlen);
/* Appends the manifest text (base, then history, then incr parts). */
void aof_manifest_format(const aof_manifest *m, sbuf *out);

/* Adds parts (name copied). new_incr gets seq curr_incr_seq + 1. */
void aof_manifest_add_incr(aof_manifest *m, const char *name, long long seq);
void aof_manifest_set_base(aof_manifest *m, const char *name, long long seq);
/* Turns the base and every incr part with seq <= upto into history. */
void aof_manifest_retire(aof_manifest *m, long long upto_incr_seq);

/* File names: "<prefix>.<seq>.base.rdb|aof", "<prefix>.<seq>.incr.aof". */
sstr aof_base_name(const char *prefix, long long seq, int rdb);
sstr aof_incr_name(const char *prefix, long long seq);
sstr aof_manifest_name(const char *prefix);

/* One command from buf[0..len): returns 1 with *argv (owned), *argc and
 * *used (bytes consumed, annotation lines before it included); 0 when the
 * input ends before the command does (a truncated tail; *used = bytes of
 * whole annotation lines skipped); SK_ECORRUPT when the bytes are not a
 * command (the reason in err). max_bulk bounds one argument's length. */
int aof_parse_command(const char *buf, size_t len, long long max_bulk, sstr **argv, int *argc,
                      size_t *used, char *err, size_t errlen);
void aof_free_argv(sstr *argv, int argc);

/* Appends argv as a RESP array of bulk strings. */
void aof_format_command(sbuf *out, sstr *argv, int argc);

#endif
