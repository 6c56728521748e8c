/* certs.h - internals of the sealkv-certs tool, shared by its files.
 *
 * main.c parses the command line into certs_opts and runs the one-file
 * commands (issue, ca, show); setup.c runs the directory commands (init,
 * reissue). Commands return an exit code: 0 done, 1 failed, 2 bad usage.
 * Nothing here prints key material: only paths, names and fingerprints.
 */
#ifndef SEALKV_CERTS_CERTS_H
#define SEALKV_CERTS_CERTS_H

#include "../pki/pki.h"

#include <stddef.h>

enum { CERTS_OK = 0, CERTS_FAIL = 1, CERTS_USAGE = 2 };

/* A list of borrowed strings (argv entries or literals). */
typedef struct certs_strv {
    const char **v; /* owned array, borrowed strings */
    size_t n;
} certs_strv;

typedef struct certs_opts {
    const char *cmd;
    const char *pos; /* DIR (init, reissue), FILE (show), server|client (issue) */
    certs_strv dns, ips, uris, emails;
    const char *cn;
    int days; /* 0: the default for what is issued */
    pki_key_type key_type;
    int force, new_ca;
    const char *ca_cert, *ca_key, *out_cert, *out_key;
} certs_opts;

int certs_cmd_init(const certs_opts *o);
int certs_cmd_reissue(const certs_opts *o);

/* Helpers shared by the commands. */
void certs_strv_push(certs_strv *sv, const char *s);
void certs_strv_free(certs_strv *sv);
int certs_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2))); /* returns 1 */
/* Generates a key and issues a certificate for it; prints the reason and
 * returns CERTS_FAIL on error. */
int certs_make(pki_key_type type, const pki_names *names, pki_usage usage, int days,
               const pki_cert *ca, const pki_key *ca_key, pki_key **key_out, pki_cert **cert_out);
int certs_write_pair(const pki_cert *cert, const char *cert_path, const pki_key *key,
                     const char *key_path);

#endif
