/* t_sort.h - SORT and SORT_RO (Redis 7.0) over lists, sets and sorted sets:
 * BY and GET patterns (string keys and "key->field" hash fields, "#" for
 * the element itself), LIMIT, ASC/DESC, ALPHA and, for SORT, STORE into a
 * list. Not thread-safe.
 */
#ifndef SEALKV_SERVER_T_SORT_H
#define SEALKV_SERVER_T_SORT_H

#include "server.h"

/* NULL-name terminated; commands.c merges it into the command table. */
extern const command cmds_sort[];

#endif
