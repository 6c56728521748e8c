/* cfgfile.h - the redis.conf tokenizer.
 *
 * Pure: text in, lines of arguments out; no I/O except cfgfile_read_file.
 * Syntax as Redis: one directive per line, arguments split on spaces, "..."
 * with C escapes (\n \r \t \b \a \\ \" \xHH) and '...' (only \' escaped),
 * '#' starts a comment line, blank lines ignored. A closing quote must be
 * followed by a space or the end of the line.
 * `include FILE` is left to the caller (it is just another directive).
 */
#ifndef SEALKV_CORE_CFGFILE_H
#define SEALKV_CORE_CFGFILE_H

#include <stddef.h>

#include "sstr.h"

typedef struct cfg_line {
    int lineno; /* 1-based */
    int argc;
    sstr *argv; /* owned; argv[0] is the directive, lowercased */
} cfg_line;

typedef struct cfg_doc {
    cfg_line *lines; /* owned */
    int count;
} cfg_doc;

/* Splits one line into arguments (Redis sdssplitargs). Returns an owned array
 * of *argc sstrs, or NULL on unbalanced quotes. An empty line gives argc 0. */
sstr *cfgfile_split_args(const char *line, size_t len, int *argc);
void cfgfile_free_args(sstr *argv, int argc);

/* Parses a whole text. On error returns SK_EPROTO and writes "line N: reason"
 * into err. */
int cfgfile_parse(const char *text, size_t len, cfg_doc *out, char *err, size_t errlen);
#define CFGFILE_MAX_SIZE (64 * 1024 * 1024)
int cfgfile_read_file(const char *path, cfg_doc *out, char *err, size_t errlen);
void cfgfile_doc_free(cfg_doc *doc);

#endif
