/* t_list.h - the list type (OBJ_LIST, encoding "quicklist" as in Redis 7.0)
 * and its commands, blocking ones included (see blocking.h).
 *
 * list_register_type() registers the value operations (free, dup, memory)
 * and must run once at start, after obj_init_types(). cmds_list is the
 * family's command table for commands.c.
 */
#ifndef SEALKV_SERVER_T_LIST_H
#define SEALKV_SERVER_T_LIST_H

#include "server.h"

void list_register_type(void);
extern const command cmds_list[];

/* A new empty list value under the server's list-max-listpack-size and
 * list-compress-depth (SORT STORE, RESTORE and the like use it). */
sobj *list_new_object(const server *srv);

#endif
