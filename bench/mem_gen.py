#!/usr/bin/env python3
"""mem_gen.py - writes the RESP commands of one memory_compare.sh dataset.

    mem_gen.py strings|hashes|zsets COUNT [SEED] > file

strings: COUNT keys str:N -> a 10-20 byte value (SET)
hashes:  COUNT keys hash:N with 20 fields f0..f19 -> 6-14 byte values (HSET)
zsets:   COUNT keys zset:N with 50 members m0..m49 -> scores, half integers
         and half with a fraction (ZADD)

The output is deterministic for a given SEED, so both servers get the same
bytes. Sizes stay under the default listpack thresholds (64-byte values,
128/512 entries), so both servers should pick their compact encodings.
"""

import random
import sys

ALPHA = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def bulk(arg):
    return b"$%d\r\n%s\r\n" % (len(arg), arg)


def command(args):
    return b"*%d\r\n" % len(args) + b"".join(bulk(a) for a in args)


def value(rng, lo, hi):
    return bytes(rng.choice(ALPHA) for _ in range(rng.randint(lo, hi)))


def gen_strings(rng, n, out):
    buf = []
    for i in range(n):
        buf.append(command([b"SET", b"str:%d" % i, value(rng, 10, 20)]))
        if len(buf) >= 10000:
            out.write(b"".join(buf))
            buf = []
    out.write(b"".join(buf))


def gen_hashes(rng, n, out):
    for i in range(n):
        args = [b"HSET", b"hash:%d" % i]
        for f in range(20):
            args += [b"f%d" % f, value(rng, 6, 14)]
        out.write(command(args))


def gen_zsets(rng, n, out):
    for i in range(n):
        args = [b"ZADD", b"zset:%d" % i]
        for m in range(50):
            if m % 2:
                score = b"%d" % rng.randint(0, 1000000)
            else:
                score = repr(rng.uniform(0, 1000)).encode()
            args += [score, b"m%d" % m]
        out.write(command(args))


def main():
    kind, n = sys.argv[1], int(sys.argv[2])
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    gen = {"strings": gen_strings, "hashes": gen_hashes, "zsets": gen_zsets}[kind]
    gen(rng, n, sys.stdout.buffer)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
