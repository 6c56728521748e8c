/* log.c - the process log, in Redis's line format.
 *
 * A mutex guards the target because helper threads (lazy free, I/O) may
 * log too. The file stays open between lines; log_open() swaps it, so a
 * CONFIG SET logfile or a rotated file takes effect at once.
 */
#include "log.h"

#include "err.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LOG_MAX_LINE 4096

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_file; /* owned; NULL means stdout */
static enum log_level log_level_cur = LOG_NOTICE;
static char log_role = 'M';

static const char *const log_names[] = {"debug", "verbose", "notice", "warning"};
static const char log_marks[] = {'.', '-', '*', '#'};

int log_open(const char *path) {
    FILE *f = NULL;
    if (path && path[0]) {
        f = fopen(path, "ae");
        if (!f) return -errno;
        setvbuf(f, NULL, _IOLBF, 0);
    }
    pthread_mutex_lock(&log_lock);
    FILE *old = log_file;
    log_file = f;
    pthread_mutex_unlock(&log_lock);
    if (old) fclose(old);
    return 0;
}

void log_close(void) {
    pthread_mutex_lock(&log_lock);
    FILE *old = log_file;
    log_file = NULL;
    pthread_mutex_unlock(&log_lock);
    if (old) fclose(old);
}

void log_set_level(enum log_level level) {
    if (level >= LOG_DEBUG && level <= LOG_WARNING) log_level_cur = level;
}

enum log_level log_get_level(void) {
    return log_level_cur;
}

void log_set_role(char role) {
    log_role = role;
}

int log_level_parse(const char *s, enum log_level *out) {
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, log_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return SK_ECONFIG;
}

const char *log_level_name(enum log_level level) {
    if (level < LOG_DEBUG || level > LOG_WARNING) return "unknown";
    return log_names[level];
}

/* "22 Nov 2026 17:08:24.123" */
static void log_timestamp(char *buf, size_t size) {
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    size_t off = strftime(buf, size, "%d %b %Y %H:%M:%S.", &tm);
    snprintf(buf + off, size - off, "%03d", (int)(tv.tv_usec / 1000));
}

void log_msg(enum log_level level, const char *fmt, ...) {
    if (level < log_level_cur || level > LOG_WARNING) return;
    char msg[LOG_MAX_LINE];
    char ts[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_timestamp(ts, sizeof(ts));

    pthread_mutex_lock(&log_lock);
    FILE *f = log_file ? log_file : stdout;
    fprintf(f, "%d:%c %s %c %s\n", (int)getpid(), log_role, ts, log_marks[level], msg);
    fflush(f);
    pthread_mutex_unlock(&log_lock);
}
