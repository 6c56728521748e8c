/* err.h - the project's error codes.
 *
 * Functions that can fail return int: 0 on success, a negative value on
 * error. System failures are returned as -errno; the project's own failures
 * use the SK_E* codes below (all below -4096, so they never collide with
 * errno values). sk_strerror() gives a static text for either kind.
 */
#ifndef SEALKV_CORE_ERR_H
#define SEALKV_CORE_ERR_H

#define SK_OK 0
#define SK_EPROTO (-5001)     /* malformed protocol input */
#define SK_ETOOBIG (-5002)    /* input over a configured limit */
#define SK_ECONFIG (-5003)    /* bad configuration value */
#define SK_ETLS (-5004)       /* TLS library failure; details in the caller's error text */
#define SK_ECERT (-5005)      /* certificate rejected (chain, validity, identity) */
#define SK_ECLOSED (-5006)    /* connection closed by the peer */
#define SK_EAGAIN (-5007)     /* would block; try again when the fd is ready */
#define SK_ENOMEM (-5008)     /* allocation failed */
#define SK_ENOTFOUND (-5009)  /* no such item */
#define SK_EINVAL (-5010)     /* invalid argument */
#define SK_EBUSY (-5011)      /* a conflicting operation is running (a child process, a sync) */
#define SK_ENOTLEADER (-5012) /* control plane: this node is not the leader and none is known */
#define SK_ENOQUORUM (-5013)  /* control plane: no majority answered in time */
#define SK_ECONFLICT (-5014)  /* a precondition on the current state failed */
#define SK_ECORRUPT (-5015)   /* a file on disk is damaged or not ours */

const char *sk_strerror(int err);

#endif
