/* nodedir.c - the node state directory (see nodedir.h). */
#include "nodedir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/err.h"
#include "../core/mem.h"

static int fail(char *err, size_t errlen, int code, const char *fmt, const char *arg) {
    if (err != NULL && errlen > 0) snprintf(err, errlen, fmt, arg, strerror(errno));
    return code;
}

int nodedir_parse_addr(const char *text, int defport, char host[NODEDIR_HOST_MAX], int *port,
                       char *err, size_t errlen) {
    const char *h = text, *colon = NULL;
    size_t hlen;
    if (text == NULL || text[0] == '\0') {
        snprintf(err, errlen, "empty address");
        return SK_EINVAL;
    }
    if (text[0] == '[') { /* [v6]:port */
        const char *close = strchr(text, ']');
        if (close == NULL || (close[1] != '\0' && close[1] != ':')) goto bad;
        h = text + 1;
        hlen = (size_t)(close - h);
        colon = close[1] == ':' ? close + 1 : NULL;
    } else {
        colon = strrchr(text, ':');
        if (colon != NULL && strchr(text, ':') != colon) colon = NULL; /* bare v6 */
        hlen = colon != NULL ? (size_t)(colon - text) : strlen(text);
    }
    if (hlen == 0 || hlen >= NODEDIR_HOST_MAX) goto bad;
    long p = defport;
    if (colon != NULL) {
        char *end = NULL;
        errno = 0;
        p = strtol(colon + 1, &end, 10);
        if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno != 0) goto bad;
    }
    if (p < 1 || p > 65535) goto bad;
    for (size_t i = 0; i < hlen; i++)
        if (h[i] == ' ' || h[i] == '/' || h[i] == '\0' || (unsigned char)h[i] < 0x21) goto bad;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (int)p;
    return 0;
bad:
    snprintf(err, errlen, "bad address '%.200s' (expected HOST:PORT)", text);
    return SK_EINVAL;
}

int nodedir_check_new(const char *dir, char *err, size_t errlen) {
    DIR *d = opendir(dir);
    if (d == NULL) {
        if (errno == ENOENT) return 0;
        return fail(err, errlen, SK_EINVAL, "cannot use %s: %s", dir);
    }
    struct dirent *de;
    int empty = 1;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            empty = 0;
            break;
        }
    }
    closedir(d);
    if (!empty) {
        snprintf(err, errlen, "%s is not empty (a node's directory is created once)", dir);
        return SK_EINVAL;
    }
    return 0;
}

int nodedir_path(const char *dir, const char *name, char buf[NODEDIR_PATH_MAX]) {
    int n = snprintf(buf, NODEDIR_PATH_MAX, "%s/%s", dir, name);
    return n > 0 && n < NODEDIR_PATH_MAX ? 0 : SK_EINVAL;
}

int nodedir_stage_begin(const char *dir, char stage[NODEDIR_PATH_MAX], char *err, size_t errlen) {
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    int w = snprintf(stage, NODEDIR_PATH_MAX, "%.*s.staging.XXXXXX", (int)n, dir);
    if (w <= 0 || w >= NODEDIR_PATH_MAX) {
        snprintf(err, errlen, "directory path too long");
        return SK_EINVAL;
    }
    if (mkdtemp(stage) == NULL) /* mode 0700 */
        return fail(err, errlen, -errno, "cannot create a directory beside %s: %s", dir);
    return 0;
}

int nodedir_stage_commit(const char *stage, const char *dir, char *err, size_t errlen) {
    if (rmdir(dir) != 0 && errno != ENOENT)
        return fail(err, errlen, -errno, "cannot replace %s: %s", dir);
    if (rename(stage, dir) != 0) return fail(err, errlen, -errno, "cannot create %s: %s", dir);
    /* Make the rename durable: fsync the parent directory. */
    char *copy = sk_strdup(dir);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    sk_free(copy);
    return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 ? 0 : 0; /* best effort: keep going */
}

void nodedir_stage_abort(const char *stage) {
    if (stage == NULL || stage[0] == '\0') return;
    nftw(stage, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int nodedir_write_file(const char *path, const void *data, size_t len, unsigned mode, char *err,
                       size_t errlen) {
    char tmp[NODEDIR_PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp)) {
        snprintf(err, errlen, "path too long");
        return SK_EINVAL;
    }
    int fd = mkostemp(tmp, O_CLOEXEC); /* 0600 from the start */
    if (fd < 0) return fail(err, errlen, -errno, "cannot create a file beside %s: %s", path);
    const char *p = data;
    size_t left = len;
    int rc = fchmod(fd, (mode_t)mode) == 0 ? 0 : -errno;
    while (rc == 0 && left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            rc = -errno;
            break;
        }
        p += n;
        left -= (size_t)n;
    }
    if (rc == 0 && fsync(fd) != 0) rc = -errno;
    if (close(fd) != 0 && rc == 0) rc = -errno;
    if (rc == 0 && rename(tmp, path) != 0) rc = -errno;
    if (rc != 0) {
        fail(err, errlen, rc, "cannot write %s: %s", path);
        unlink(tmp);
    }
    return rc;
}

int nodedir_read_file(const char *path, size_t max, char **out, size_t *len, char *err,
                      size_t errlen) {
    *out = NULL;
    FILE *fp = fopen(path, "re");
    if (fp == NULL) return fail(err, errlen, -errno, "cannot open %s: %s", path);
    char *buf = sk_malloc(max + 1);
    size_t n = fread(buf, 1, max + 1, fp);
    int rc = ferror(fp) ? SK_EINVAL : 0;
    fclose(fp);
    if (rc == 0 && n > max) {
        snprintf(err, errlen, "%s is too large", path);
        rc = SK_ETOOBIG;
    } else if (rc != 0) {
        snprintf(err, errlen, "cannot read %s", path);
    }
    if (rc != 0) {
        explicit_bzero(buf, max + 1);
        sk_free(buf);
        return rc;
    }
    buf[n] = '\0';
    *out = buf;
    if (len != NULL) *len = n;
    return 0;
}
