/* t_bitops.c - bitmap commands on string values with Redis 7.0 semantics.
 *
 * Offsets: bit n is bit (7 - n%8) of byte n/8 (MSB first). A write past the
 * end grows the string with zero bytes up to the byte it touches; a write
 * offset whose byte would reach proto-max-bulk-len is refused. BITCOUNT and
 * BITPOS take ranges in bytes (default) or bits (BIT) with Redis's negative
 * index and clamping rules.
 */
#include "t_bitops.h"

#include <limits.h>
#include <string.h>

#include "../core/mem.h"
#include "../core/util.h"
#include "config.h"

#define DEFAULT_MAX_BULK (512LL * 1024 * 1024)

#define ERR_BIT_OFFSET "ERR bit offset is not an integer or out of range"
#define ERR_BIT_VALUE "ERR bit is not an integer or out of range"
#define ERR_BF_TYPE                                                                                \
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "    \
    "i64 is."

/* ------------------------------------------------------------ bit helpers */

long long bitops_popcount(const unsigned char *p, size_t len) {
    long long n = 0;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        n += __builtin_popcountll(w);
    }
    for (; i < len; i++)
        n += __builtin_popcount(p[i]);
    return n;
}

long long bitops_bitpos(const unsigned char *p, size_t len, int bit) {
    unsigned char skip = bit ? 0 : 0xff;
    uint64_t wskip = bit ? 0 : UINT64_MAX;
    size_t i = 0;
    /* Whole words that cannot hold the bit are skipped eight bytes at a time. */
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w != wskip) break;
    }
    for (; i < len; i++) {
        if (p[i] == skip) continue;
        for (int b = 0; b < 8; b++)
            if (((p[i] >> (7 - b)) & 1) == bit) return (long long)i * 8 + b;
    }
    return bit ? -1 : (long long)len * 8;
}

static int bit_at(const unsigned char *p, uint64_t off) {
    return (p[off >> 3] >> (7 - (off & 7))) & 1;
}

uint64_t bitops_get_unsigned(const unsigned char *p, uint64_t off, int bits) {
    uint64_t v = 0;
    for (int i = 0; i < bits; i++)
        v = (v << 1) | (uint64_t)bit_at(p, off + (uint64_t)i);
    return v;
}

int64_t bitops_get_signed(const unsigned char *p, uint64_t off, int bits) {
    uint64_t v = bitops_get_unsigned(p, off, bits);
    /* Sign-extend from the field's top bit. */
    if (bits < 64 && (v >> (bits - 1)) & 1) v |= UINT64_MAX << bits;
    return (int64_t)v;
}

void bitops_set_unsigned(unsigned char *p, uint64_t off, int bits, uint64_t v) {
    for (int i = 0; i < bits; i++, off++) {
        unsigned char mask = (unsigned char)(1u << (7 - (off & 7)));
        if ((v >> (bits - 1 - i)) & 1)
            p[off >> 3] |= mask;
        else
            p[off >> 3] &= (unsigned char)~mask;
    }
}

/* Set bits in the inclusive bit range [first, last] of p. */
static long long count_bit_range(const unsigned char *p, long long first, long long last) {
    long long n = 0, i = first;
    for (; i <= last && (i & 7); i++)
        n += bit_at(p, (uint64_t)i);
    long long nbytes = (last + 1 - i) / 8;
    if (nbytes > 0) {
        n += bitops_popcount(p + i / 8, (size_t)nbytes);
        i += nbytes * 8;
    }
    for (; i <= last; i++)
        n += bit_at(p, (uint64_t)i);
    return n;
}

/* First bit equal to bit in [first, last], or -1. */
static long long find_bit_range(const unsigned char *p, long long first, long long last, int bit) {
    long long i = first;
    for (; i <= last && (i & 7); i++)
        if (bit_at(p, (uint64_t)i) == bit) return i;
    long long nbytes = (last + 1 - i) / 8;
    if (nbytes > 0) {
        long long r = bitops_bitpos(p + i / 8, (size_t)nbytes, bit);
        if (r >= 0 && r < nbytes * 8) return i + r;
        i += nbytes * 8;
    }
    for (; i <= last; i++)
        if (bit_at(p, (uint64_t)i) == bit) return i;
    return -1;
}

/* --------------------------------------------------------- arg helpers */

static long long max_bulk_len(const server *srv) {
    return srv->cfg ? srv->cfg->proto_max_bulk_len : DEFAULT_MAX_BULK;
}

/* A bit offset argument; "#N" (N * bits) only when allow_hash. The byte it
 * addresses must stay below proto-max-bulk-len, as Redis checks. */
static int parse_bit_offset(client *c, int i, int allow_hash, int bits, uint64_t *out) {
    const char *s = c->argv[i];
    size_t len = sstr_len(c->argv[i]);
    int hash = allow_hash && len > 0 && s[0] == '#';
    long long v;
    if (!util_str_to_ll(s + hash, len - (size_t)hash, &v)) goto invalid;
    if (hash && __builtin_mul_overflow(v, (long long)bits, &v)) goto invalid;
    if (v < 0 || (v >> 3) >= max_bulk_len(c->srv)) goto invalid;
    *out = (uint64_t)v;
    return 0;
invalid:
    add_reply_error(c, ERR_BIT_OFFSET);
    return -1;
}

static int check_string(client *c, const sobj *o) {
    if (o && o->type != OBJ_STRING) {
        add_reply_wrongtype(c);
        return -1;
    }
    return 0;
}

/* The string at argv[1] for a write reaching bit maxbit: created or
 * unshared into a private raw string and zero-extended to cover maxbit.
 * NULL after a WRONGTYPE reply. *grown (may be NULL) says if bytes were added. */
static sobj *string_for_bit_write(client *c, uint64_t maxbit, int *grown) {
    sstr key = c->argv[1];
    size_t need = (size_t)(maxbit >> 3) + 1;
    sobj *o = db_lookup_write(c, key);
    if (check_string(c, o) < 0) return NULL;
    if (grown) *grown = 0;
    if (!o) {
        o = obj_new_raw_string(NULL, need);
        db_add(c->srv, c->db, key, o);
        if (grown) *grown = 1;
        return o;
    }
    sobj *u = obj_unshare_string(o);
    if (u != o) db_overwrite(c->srv, c->db, key, u);
    if (sstr_len(u->ptr) < need) {
        u->ptr = sstr_grow_zero(u->ptr, need);
        if (grown) *grown = 1;
    }
    return u;
}

/* ---------------------------------------------------------- SETBIT/GETBIT */

static void setbit_command(client *c) {
    uint64_t off;
    long long on;
    if (parse_bit_offset(c, 2, 0, 0, &off) < 0) return;
    if (get_ll_from_arg(c, 3, &on, ERR_BIT_VALUE) < 0) return;
    if (on & ~1LL) {
        add_reply_error(c, ERR_BIT_VALUE);
        return;
    }
    sobj *o = string_for_bit_write(c, off, NULL);
    if (!o) return;
    unsigned char *p = (unsigned char *)o->ptr;
    int old = bit_at(p, off);
    bitops_set_unsigned(p, off, 1, (uint64_t)on);
    db_signal_modified(c->srv, c->db, c->argv[1]);
    c->srv->dirty++;
    add_reply_int(c, old);
}

static void getbit_command(client *c) {
    uint64_t off;
    if (parse_bit_offset(c, 2, 0, 0, &off) < 0) return;
    sobj *o = db_lookup_read(c, c->argv[1]);
    if (check_string(c, o) < 0) return;
    if (!o) {
        add_reply_int(c, 0);
        return;
    }
    char buf[32];
    size_t len;
    const unsigned char *p = (const unsigned char *)obj_string_bytes(o, buf, &len);
    add_reply_int(c, (off >> 3) < len ? bit_at(p, off) : 0);
}

/* ------------------------------------------------------- BITCOUNT/BITPOS */

/* Parses the BYTE|BIT unit at argv[i]: 1 for BIT, 0 for BYTE, -1 replied. */
static int parse_unit(client *c, int i) {
    if (arg_is(c, i, "bit")) return 1;
    if (arg_is(c, i, "byte")) return 0;
    add_reply_syntax_error(c);
    return -1;
}

/* Redis's index normalisation: negative from the end, clamped to the
 * string (total units), end past the end clipped to the last unit. */
static void clamp_range(long long total, long long *start, long long *end) {
    if (*start < 0) *start += total;
    if (*end < 0) *end += total;
    if (*start < 0) *start = 0;
    if (*end < 0) *end = 0;
    if (*end >= total) *end = total - 1;
}

static void bitcount_command(client *c) {
    sobj *o = db_lookup_read(c, c->argv[1]);
    if (!o) {
        add_reply_int(c, 0);
        return;
    }
    if (check_string(c, o) < 0) return;
    char buf[32];
    size_t slen;
    const unsigned char *p = (const unsigned char *)obj_string_bytes(o, buf, &slen);
    long long start = 0, end = (long long)slen - 1;
    int isbit = 0;
    if (c->argc == 4 || c->argc == 5) {
        if (get_ll_from_arg(c, 2, &start, NULL) < 0) return;
        if (get_ll_from_arg(c, 3, &end, NULL) < 0) return;
        if (start < 0 && end < 0 && start > end) {
            add_reply_int(c, 0);
            return;
        }
        if (c->argc == 5 && (isbit = parse_unit(c, 4)) < 0) return;
        clamp_range(isbit ? (long long)slen * 8 : (long long)slen, &start, &end);
    } else if (c->argc != 2) {
        add_reply_syntax_error(c);
        return;
    }
    if (start > end) {
        add_reply_int(c, 0);
        return;
    }
    if (!isbit) {
        start *= 8;
        end = end * 8 + 7;
    }
    add_reply_int(c, count_bit_range(p, start, end));
}

static void bitpos_command(client *c) {
    long long bit;
    if (get_ll_from_arg(c, 2, &bit, NULL) < 0) return;
    if (bit != 0 && bit != 1) {
        add_reply_error(c, "ERR The bit argument must be 1 or 0.");
        return;
    }
    /* A missing key is an infinite run of zero bits. */
    sobj *o = db_lookup_read(c, c->argv[1]);
    if (!o) {
        add_reply_int(c, bit ? -1 : 0);
        return;
    }
    if (check_string(c, o) < 0) return;
    char buf[32];
    size_t slen;
    const unsigned char *p = (const unsigned char *)obj_string_bytes(o, buf, &slen);
    long long start = 0, end = (long long)slen - 1;
    int isbit = 0, end_given = 0;
    if (c->argc >= 4 && c->argc <= 6) {
        if (get_ll_from_arg(c, 3, &start, NULL) < 0) return;
        if (c->argc == 6 && (isbit = parse_unit(c, 5)) < 0) return;
        if (c->argc >= 5) {
            if (get_ll_from_arg(c, 4, &end, NULL) < 0) return;
            end_given = 1;
        } else {
            end = isbit ? (long long)slen * 8 - 1 : (long long)slen - 1;
        }
        clamp_range(isbit ? (long long)slen * 8 : (long long)slen, &start, &end);
    } else if (c->argc != 3) {
        add_reply_syntax_error(c);
        return;
    }
    /* An empty range holds neither a 0 nor a 1. */
    if (start > end) {
        add_reply_int(c, -1);
        return;
    }
    if (!isbit) {
        start *= 8;
        end = end * 8 + 7;
    }
    long long pos = find_bit_range(p, start, end, (int)bit);
    /* Looking for a clear bit without an explicit end: the string is
     * padded with zeros on the right, so the answer is the first bit after
     * it. With an explicit end the range really holds no clear bit. */
    if (pos < 0 && bit == 0 && !end_given) pos = end + 1;
    add_reply_int(c, pos);
}

/* ------------------------------------------------------------------ BITOP */

enum bitop_kind { BITOP_AND, BITOP_OR, BITOP_XOR, BITOP_NOT };

static int parse_bitop(client *c, enum bitop_kind *op) {
    if (arg_is(c, 1, "and"))
        *op = BITOP_AND;
    else if (arg_is(c, 1, "or"))
        *op = BITOP_OR;
    else if (arg_is(c, 1, "xor"))
        *op = BITOP_XOR;
    else if (arg_is(c, 1, "not"))
        *op = BITOP_NOT;
    else {
        add_reply_syntax_error(c);
        return -1;
    }
    return 0;
}

/* Folds one source (len bytes, zero-padded to maxlen) into res. */
static void bitop_fold(enum bitop_kind op, unsigned char *res, const unsigned char *s, size_t len,
                       size_t maxlen) {
    size_t i;
    switch (op) {
    case BITOP_AND:
        for (i = 0; i < len; i++)
            res[i] &= s[i];
        if (len < maxlen) memset(res + len, 0, maxlen - len);
        break;
    case BITOP_OR:
        for (i = 0; i < len; i++)
            res[i] |= s[i];
        break;
    case BITOP_XOR:
        for (i = 0; i < len; i++)
            res[i] ^= s[i];
        break;
    case BITOP_NOT:
        break;
    }
}

static sstr bitop_compute(enum bitop_kind op, sobj **src, int n, size_t maxlen) {
    char buf[32];
    size_t len = 0;
    sstr res = sstr_new(NULL, maxlen);
    unsigned char *r = (unsigned char *)res;
    if (src[0]) {
        const char *p = obj_string_bytes(src[0], buf, &len);
        memcpy(r, p, len);
    }
    if (op == BITOP_NOT) {
        for (size_t i = 0; i < maxlen; i++)
            r[i] = (unsigned char)~r[i];
        return res;
    }
    for (int j = 1; j < n; j++) {
        const unsigned char *p = (const unsigned char *)"";
        len = 0;
        if (src[j]) p = (const unsigned char *)obj_string_bytes(src[j], buf, &len);
        bitop_fold(op, r, p, len, maxlen);
    }
    return res;
}

static void bitop_command(client *c) {
    enum bitop_kind op;
    if (parse_bitop(c, &op) < 0) return;
    if (op == BITOP_NOT && c->argc != 4) {
        add_reply_error(c, "ERR BITOP NOT must be called with a single source key.");
        return;
    }
    int n = c->argc - 3;
    sobj **src = sk_malloc(sizeof(*src) * (size_t)n);
    size_t maxlen = 0;
    for (int j = 0; j < n; j++) {
        src[j] = db_lookup_read(c, c->argv[j + 3]);
        if (check_string(c, src[j]) < 0) goto cleanup;
        if (src[j] && obj_string_len(src[j]) > maxlen) maxlen = obj_string_len(src[j]);
    }
    sstr dest = c->argv[2];
    if (maxlen) {
        sstr res = bitop_compute(op, src, n, maxlen);
        db_set_key(c, c->db, dest, obj_new_string_from_sstr(res), 0);
        c->srv->dirty++;
    } else if (db_delete(c->srv, c->db, dest)) {
        c->srv->dirty++;
    }
    add_reply_int(c, (long long)maxlen);
cleanup:
    sk_free(src);
}

/* --------------------------------------------------------------- BITFIELD */

enum bf_opcode { BF_GET, BF_SET, BF_INCRBY };
enum bf_overflow { BF_WRAP, BF_SAT, BF_FAIL };

typedef struct bf_op {
    uint64_t offset;
    int64_t value; /* SET value or INCRBY increment */
    enum bf_opcode opcode;
    enum bf_overflow overflow;
    int bits;
    int sign;
} bf_op;

/* "i<1..64>" or "u<1..63>" (lowercase prefix, as Redis). */
static int parse_bf_type(client *c, int i, int *sign, int *bits) {
    const char *s = c->argv[i];
    size_t len = sstr_len(c->argv[i]);
    long long n;
    if (len < 2 || (s[0] != 'i' && s[0] != 'u')) goto invalid;
    *sign = s[0] == 'i';
    if (!util_str_to_ll(s + 1, len - 1, &n) || n < 1 || n > (*sign ? 64 : 63)) goto invalid;
    *bits = (int)n;
    return 0;
invalid:
    add_reply_error(c, ERR_BF_TYPE);
    return -1;
}

/* value + incr in a signed field of `bits`: 0 and *res = sum when it fits;
 * otherwise 1 and *res per overflow policy (FAIL leaves *res unused).
 * The test is Redis's, differences computed with two's complement wrap:
 * SET of a value so far below the range that max - value wraps counts as an
 * overflow upwards (SAT gives the maximum), and replies must match. */
static int bf_signed_add(int64_t value, int64_t incr, int bits, enum bf_overflow ow, int64_t *res) {
    int64_t max = bits == 64 ? INT64_MAX : (((int64_t)1 << (bits - 1)) - 1);
    int64_t min = -max - 1;
    int64_t maxincr = (int64_t)((uint64_t)max - (uint64_t)value);
    int64_t minincr = (int64_t)((uint64_t)min - (uint64_t)value);
    int up =
        value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr);
    int down = !up && (value < min || (bits != 64 && incr < minincr) ||
                       (value < 0 && incr < 0 && incr < minincr));
    uint64_t w = (uint64_t)value + (uint64_t)incr;
    if (!up && !down) {
        *res = (int64_t)w;
        return 0;
    }
    if (ow == BF_SAT) {
        *res = up ? max : min;
    } else {
        if (bits < 64) {
            uint64_t high = UINT64_MAX << bits;
            w = (w >> (bits - 1)) & 1 ? (w | high) : (w & ~high);
        }
        *res = (int64_t)w;
    }
    return 1;
}

/* The unsigned counterpart (bits <= 63), Redis's test likewise. */
static int bf_unsigned_add(uint64_t value, int64_t incr, int bits, enum bf_overflow ow,
                           uint64_t *res) {
    uint64_t max = ((uint64_t)1 << bits) - 1;
    int64_t maxincr = (int64_t)(max - value);
    int64_t minincr = (int64_t)(0 - value);
    int up = value > max || (incr > 0 && incr > maxincr);
    int down = !up && incr < 0 && incr < minincr;
    if (!up && !down) {
        *res = value + (uint64_t)incr;
        return 0;
    }
    if (ow == BF_SAT)
        *res = up ? max : 0;
    else
        *res = (value + (uint64_t)incr) & max;
    return 1;
}

/* Parses the subcommands into ops; -1 after an error reply. */
static int bf_parse(client *c, bf_op **out, int *nops, uint64_t *maxbit, int *readonly) {
    enum bf_overflow ow = BF_WRAP;
    bf_op *ops = NULL;
    int n = 0;
    for (int j = 2; j < c->argc; j++) {
        int rem = c->argc - j - 1;
        bf_op op = {0};
        if (arg_is(c, j, "get") && rem >= 2)
            op.opcode = BF_GET;
        else if (arg_is(c, j, "set") && rem >= 3)
            op.opcode = BF_SET;
        else if (arg_is(c, j, "incrby") && rem >= 3)
            op.opcode = BF_INCRBY;
        else if (arg_is(c, j, "overflow") && rem >= 1) {
            j++;
            if (arg_is(c, j, "wrap"))
                ow = BF_WRAP;
            else if (arg_is(c, j, "sat"))
                ow = BF_SAT;
            else if (arg_is(c, j, "fail"))
                ow = BF_FAIL;
            else {
                add_reply_error(c, "ERR Invalid OVERFLOW type specified");
                goto fail;
            }
            continue;
        } else {
            add_reply_syntax_error(c);
            goto fail;
        }
        if (parse_bf_type(c, j + 1, &op.sign, &op.bits) < 0) goto fail;
        if (parse_bit_offset(c, j + 2, 1, op.bits, &op.offset) < 0) goto fail;
        if (op.opcode != BF_GET) {
            long long v;
            *readonly = 0;
            if (op.offset + (uint64_t)op.bits - 1 > *maxbit)
                *maxbit = op.offset + (uint64_t)op.bits - 1;
            if (get_ll_from_arg(c, j + 3, &v, NULL) < 0) goto fail;
            op.value = v;
        }
        op.overflow = ow;
        ops = sk_realloc(ops, sizeof(*ops) * (size_t)(n + 1));
        ops[n++] = op;
        j += op.opcode == BF_GET ? 2 : 3;
    }
    *out = ops;
    *nops = n;
    return 0;
fail:
    sk_free(ops);
    return -1;
}

/* SET / INCRBY on the private string o; replies the value or nil (FAIL). */
static void bf_write(client *c, sobj *o, const bf_op *op) {
    unsigned char *p = (unsigned char *)o->ptr;
    int over;
    if (op->sign) {
        int64_t old = bitops_get_signed(p, op->offset, op->bits), nv;
        if (op->opcode == BF_INCRBY)
            over = bf_signed_add(old, op->value, op->bits, op->overflow, &nv);
        else
            over = bf_signed_add(op->value, 0, op->bits, op->overflow, &nv);
        if (over && op->overflow == BF_FAIL) {
            add_reply_null(c);
            return;
        }
        add_reply_int(c, op->opcode == BF_INCRBY ? nv : old);
        bitops_set_unsigned(p, op->offset, op->bits, (uint64_t)nv);
    } else {
        uint64_t old = bitops_get_unsigned(p, op->offset, op->bits), nv;
        if (op->opcode == BF_INCRBY)
            over = bf_unsigned_add(old, op->value, op->bits, op->overflow, &nv);
        else
            over = bf_unsigned_add((uint64_t)op->value, 0, op->bits, op->overflow, &nv);
        if (over && op->overflow == BF_FAIL) {
            add_reply_null(c);
            return;
        }
        add_reply_int(c, (long long)(op->opcode == BF_INCRBY ? nv : old));
        bitops_set_unsigned(p, op->offset, op->bits, nv);
    }
}

/* GET reads through a zero-padded copy of the (at most 9) bytes it spans. */
static void bf_read(client *c, const sobj *o, const bf_op *op) {
    unsigned char win[9] = {0};
    uint64_t byte = op->offset >> 3;
    if (o) {
        char buf[32];
        size_t len;
        const char *s = obj_string_bytes(o, buf, &len);
        for (uint64_t i = 0; i < 9 && byte + i < len; i++)
            win[i] = (unsigned char)s[byte + i];
    }
    uint64_t off = op->offset - byte * 8;
    if (op->sign)
        add_reply_int(c, bitops_get_signed(win, off, op->bits));
    else
        add_reply_int(c, (long long)bitops_get_unsigned(win, off, op->bits));
}

static void bitfield_generic(client *c, int ro_command) {
    bf_op *ops = NULL;
    int nops = 0, readonly = 1, changes = 0;
    uint64_t maxbit = 0;
    sobj *o;
    if (bf_parse(c, &ops, &nops, &maxbit, &readonly) < 0) return;
    if (readonly) {
        o = db_lookup_read(c, c->argv[1]);
        if (check_string(c, o) < 0) goto cleanup;
    } else {
        if (ro_command) {
            add_reply_error(c, "ERR BITFIELD_RO only supports the GET subcommand");
            goto cleanup;
        }
        o = string_for_bit_write(c, maxbit, NULL);
        if (!o) goto cleanup;
    }
    add_reply_array(c, nops);
    for (int j = 0; j < nops; j++) {
        if (ops[j].opcode == BF_GET) {
            bf_read(c, o, &ops[j]);
        } else {
            bf_write(c, o, &ops[j]);
            changes++;
        }
    }
    if (changes) {
        db_signal_modified(c->srv, c->db, c->argv[1]);
        c->srv->dirty += changes;
    }
cleanup:
    sk_free(ops);
}

static void bitfield_command(client *c) {
    bitfield_generic(c, 0);
}

static void bitfield_ro_command(client *c) {
    bitfield_generic(c, 1);
}

/* ------------------------------------------------------------------ table */

#define W CMD_WRITE
#define R CMD_READONLY
#define D CMD_DENYOOM
#define F CMD_FAST

const command cmds_bitops[] = {
    {"setbit", setbit_command, 4, W | D, 1, 1, 1, "bitmap",
     "Sets or clears the bit at offset in the string value stored at key", "2.2.0", NULL},
    {"getbit", getbit_command, 3, R | F, 1, 1, 1, "bitmap",
     "Returns the bit value at offset in the string value stored at key", "2.2.0", NULL},
    {"bitcount", bitcount_command, -2, R, 1, 1, 1, "bitmap", "Count set bits in a string", "2.6.0",
     NULL},
    {"bitpos", bitpos_command, -3, R, 1, 1, 1, "bitmap", "Find first bit set or clear in a string",
     "2.8.7", NULL},
    {"bitop", bitop_command, -4, W | D, 2, -1, 1, "bitmap",
     "Perform bitwise operations between strings", "2.6.0", NULL},
    {"bitfield", bitfield_command, -2, W | D, 1, 1, 1, "bitmap",
     "Perform arbitrary bitfield integer operations on strings", "3.2.0", NULL},
    {"bitfield_ro", bitfield_ro_command, -2, R | F, 1, 1, 1, "bitmap",
     "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
     "6.0.0", NULL},
    {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};
