/* cp_msg.h - the control plane's wire format: framed, versioned messages.
 *
 * Frame: u8 version (CP_MSG_VERSION), u8 kind, u16 reserved (0), u32 payload
 * length (big endian, at most CP_MSG_MAX), then the payload. Integers in
 * payloads are big endian. Kinds:
 *   HELLO     u64 node id, u16 len + advertised "host:port" (first frame of a dialer)
 *   RAFT      one raft_message (see cp_msg_encode_raft)
 *   FWD_REQ   u64 request id, u8 what (CP_FWD_*), u32 len + JSON text
 *   FWD_RESP  u64 request id, i32 rc
 * The decoders take untrusted bytes: every length is checked against what is
 * left, counts are bounded by the bytes that would carry them, and a bad
 * input returns SK_EPROTO with nothing allocated.
 */
#ifndef SEALKV_NODE_CP_MSG_H
#define SEALKV_NODE_CP_MSG_H

#include <raft.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/sbuf.h"

#define CP_MSG_VERSION 1
#define CP_MSG_HDR 8
#define CP_MSG_MAX (64u << 20)
#define CP_MSG_ADDR_MAX 255

enum { CP_MSG_HELLO = 1, CP_MSG_RAFT = 2, CP_MSG_FWD_REQ = 3, CP_MSG_FWD_RESP = 4 };
enum { CP_FWD_PROPOSE = 1, CP_FWD_ADD = 2, CP_FWD_REMOVE = 3 };

/* Header of the frame at p: 1 and kind/plen when complete, 0 when more bytes
 * are needed, SK_EPROTO when it cannot be ours (version, reserved, size). */
int cp_msg_parse_header(const uint8_t *p, size_t len, uint8_t *kind, uint32_t *plen);

void cp_msg_encode_hello(sbuf *out, uint64_t id, const char *addr);
int cp_msg_decode_hello(const uint8_t *p, size_t len, uint64_t *id, char *addr, size_t addrlen);

/* Appends a whole RAFT frame. server_id/server_address are not encoded: the
 * receiver knows the sender from its certificate and HELLO. */
void cp_msg_encode_raft(sbuf *out, const struct raft_message *m);
/* Fills m (type-specific data raft_malloc'd, ownership to the caller: raft's
 * recv callback takes it, else cp_msg_raft_free). */
int cp_msg_decode_raft(const uint8_t *p, size_t len, struct raft_message *m);
void cp_msg_raft_free(struct raft_message *m);

void cp_msg_encode_fwd_req(sbuf *out, uint64_t req_id, uint8_t what, const char *json, size_t len);
/* *json points into p (not NUL-terminated). */
int cp_msg_decode_fwd_req(const uint8_t *p, size_t len, uint64_t *req_id, uint8_t *what,
                          const char **json, size_t *jlen);
void cp_msg_encode_fwd_resp(sbuf *out, uint64_t req_id, int rc);
int cp_msg_decode_fwd_resp(const uint8_t *p, size_t len, uint64_t *req_id, int *rc);

#endif
