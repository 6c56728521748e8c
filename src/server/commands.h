/* commands.h - run-time view of the command table (statistics, COMMAND).
 * The table types and dispatch entry points are in server.h. */
#ifndef SEALKV_SERVER_COMMANDS_H
#define SEALKV_SERVER_COMMANDS_H

#include "server.h"

typedef struct command_entry {
    command cmd;                        /* copy of the family's entry */
    const struct command_entry *parent; /* borrowed; NULL for top level */
    dict *subs;                         /* owned: name -> command_entry, or NULL */
    char fullname[64];
    uint64_t calls, usec, failed, rejected;
} command_entry;

command_entry *command_entry_of(const command *cmd);
void commands_info_stats(server *srv, sbuf *out);
void commands_reset_stats(server *srv);

/* COMMAND and its subcommands (table in cmd_server.c). */
void command_command(client *c);
void command_count_command(client *c);
void command_info_command(client *c);
void command_docs_command(client *c);
void command_list_command(client *c);
void command_getkeys_command(client *c);
void command_help_command(client *c);

#endif
