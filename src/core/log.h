/* log.h - the process log.
 *
 * One log per process: to stderr/stdout or to a file (reopened on SIGHUP-less
 * CONFIG SET logfile). Lines look like Redis's:
 *   "<pid>:<role> 22 Nov 2026 17:08:24.123 * message"
 * Secrets must never be passed here: callers log file names, never key or
 * password contents. log_* are not async-signal-safe.
 */
#ifndef SEALKV_CORE_LOG_H
#define SEALKV_CORE_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3 };

/* path NULL or "" logs to stdout. Returns 0 or -errno (the old target stays). */
int log_open(const char *path);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_set_role(char role); /* 'M' master, 'S' replica, 'C' child, 'N' node... */
void log_close(void);
/* Parses "debug|verbose|notice|warning"; returns 0 or SK_ECONFIG. */
int log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_verbose(...) log_msg(LOG_VERBOSE, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)

#endif
