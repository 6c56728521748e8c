/* err.c - text for the project's error codes. */
#include "err.h"

#include <string.h>

const char *sk_strerror(int err) {
    switch (err) {
    case SK_OK:
        return "success";
    case SK_EPROTO:
        return "protocol error";
    case SK_ETOOBIG:
        return "input too big";
    case SK_ECONFIG:
        return "bad configuration";
    case SK_ETLS:
        return "TLS error";
    case SK_ECERT:
        return "certificate rejected";
    case SK_ECLOSED:
        return "connection closed";
    case SK_EAGAIN:
        return "try again";
    case SK_ENOMEM:
        return "out of memory";
    case SK_ENOTFOUND:
        return "not found";
    case SK_EINVAL:
        return "invalid argument";
    case SK_EBUSY:
        return "busy: a conflicting operation is running";
    case SK_ENOTLEADER:
        return "not the leader, and no leader is known";
    case SK_ENOQUORUM:
        return "no quorum";
    case SK_ECONFLICT:
        return "precondition failed";
    case SK_ECORRUPT:
        return "damaged or foreign file";
    default:
        break;
    }
    if (err < 0 && err > -4096) {
        /* strerrordesc_np: static, thread-safe text (unlike strerror). */
        const char *s = strerrordesc_np(-err);
        if (s) return s;
    }
    return "unknown error";
}
