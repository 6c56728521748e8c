/* cp_raftio.h - C-Raft's struct raft_io over our ev loop and a small on-disk
 * log (see docs/adr/009-raft-io.md).
 *
 * Disk (dir 0700, files 0600, each write fsync'd before raft hears of it):
 *   meta   term and vote (rewritten whole: tmp + fsync + rename + fsync dir)
 *   log    header (start index) + records [u32 len][u64 crc64][u64 term][u8 type][data]
 *          appended; rewritten whole on truncate or after a snapshot
 *   snap   the last snapshot (index, term, configuration, data), crc64 at the end
 * A torn last record (crash mid-append) is dropped at load; damage anywhere
 * else is SK_ECORRUPT (RAFT_CORRUPT to raft): a node never guesses.
 * The log is held in memory too (a configuration store is small and snapshots
 * bound it). Disk writes are synchronous on the loop thread; completions run
 * from the loop (never inside the raft call that asked).
 * Transport: raft's sends go to a hook (the control-plane connections);
 * received messages come in through cp_raftio_deliver.
 */
#ifndef SEALKV_NODE_CP_RAFTIO_H
#define SEALKV_NODE_CP_RAFTIO_H

#include <raft.h>
#include <stddef.h>

#include "../core/ev.h"

/* Sends m to m->server_id at m->server_address; 0 or a RAFT_* error
 * (RAFT_NOCONNECTION when the peer cannot be reached now). */
typedef int cp_raftio_send_fn(void *ud, const struct raft_message *m);

/* Makes dir (0700) if missing. The io is ready for raft_init. */
int cp_raftio_init(struct raft_io *io, ev_loop *loop, const char *dir, char *err, size_t errlen);
void cp_raftio_set_send(struct raft_io *io, cp_raftio_send_fn *fn, void *ud);
/* Hands a received message to raft (after io->start); takes m's contents. */
void cp_raftio_deliver(struct raft_io *io, struct raft_message *m);
/* Non-zero when dir holds any raft state (term, log or snapshot). */
int cp_raftio_has_state(struct raft_io *io);
/* Writes a first snapshot at index 1, term 1 (configuration conf, FSM data),
 * for a new cluster whose initial state is known. RAFT_CANTBOOTSTRAP if any
 * state exists. */
int cp_raftio_bootstrap_snapshot(struct raft_io *io, const struct raft_configuration *conf,
                                 const void *data, size_t len);
/* Frees what init allocated; after io->close (or when raft never used it). */
void cp_raftio_destroy(struct raft_io *io);

#endif
