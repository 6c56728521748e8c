/* stream_cmd.h - helpers shared by the stream command files (t_stream.c,
 * stream_read.c, stream_cg.c); internal to the stream family.
 */
#ifndef SEALKV_SERVER_STREAM_CMD_H
#define SEALKV_SERVER_STREAM_CMD_H

#include "server.h"
#include "t_stream.h"

/* WRONGTYPE reply and -1 unless o is NULL or a stream. */
int scmd_check_type(client *c, const sobj *o);
/* Redis's streamGenericParseIDOrReply without the reply: "-" and "+"
 * (refused when strict), "ms", "ms-seq", and "ms-*" when seq_given is not
 * NULL (*seq_given = 0 then). Returns 0 or -1. */
int scmd_parse_id(const char *arg, size_t len, stream_id *id, uint64_t missing_seq, int strict,
                  int *seq_given);
/* The same on argument i, replying the Redis error on failure. */
int scmd_id_arg(client *c, int i, stream_id *id, uint64_t missing_seq, int strict, int *seq_given);
/* A range bound, "(" making it exclusive (XRANGE, XPENDING, XAUTOCLAIM). */
int scmd_interval_arg(client *c, int i, stream_id *id, uint64_t missing_seq, int is_start);
void scmd_reply_id(client *c, const stream_id *id);
void scmd_reply_entry(client *c, stream_iter *it);
int scmd_reply_one(client *c, stream *s, const stream_id *id);
int scmd_entry_exists(stream *s, const stream_id *id);
/* Replies the entries of [start, end] (count 0: all) as an array; with a
 * group, delivers them as XREADGROUP ">" does (PEL unless noack) and, with
 * key (the stream's key, else NULL), propagates the deliveries. */
long long scmd_reply_range(client *c, stream *s, const stream_id *start, const stream_id *end,
                           long long count, int rev, stream_cg *cg, stream_consumer *consumer,
                           int noack, const sstr key);
/* Group reads replay through these instead of the command (as Redis): the
 * PEL entry id belongs to consumer with nk's time and count (nk NULL: the
 * entry went, drop it) as "XCLAIM key group consumer 0 id TIME t RETRYCOUNT n
 * FORCE JUSTID LASTID group-last-id"; the group's position as "XGROUP SETID
 * key group id ENTRIESREAD n"; a new consumer as XGROUP CREATECONSUMER.
 * key is the stream's key in c->db. No-ops without propagation sinks. */
void scmd_propagate_claim(client *c, const sstr key, const stream_cg *cg, const sstr consumer,
                          const stream_id *id, const stream_nack *nk);
void scmd_propagate_setid(client *c, const sstr key, const stream_cg *cg);
void scmd_propagate_consumer(client *c, const sstr key, const stream_cg *cg, const sstr consumer);
void scmd_last_valid_id(const stream *s, stream_id *out);

/* Command handlers living in stream_read.c and stream_cg.c. */
void xread_command(client *c);
void xreadgroup_command(client *c);
void xack_command(client *c);
void xpending_command(client *c);
void xclaim_command(client *c);
void xautoclaim_command(client *c);
extern const command stream_xgroup_subcommands[];

#endif
