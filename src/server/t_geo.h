/* t_geo.h - the GEO commands (Redis 7.0): GEOADD GEODIST GEOHASH GEOPOS
 * GEORADIUS GEORADIUSBYMEMBER (and their _RO forms) GEOSEARCH
 * GEOSEARCHSTORE.
 *
 * There is no geo type: a position is the 52-bit geohash (geohash.h) kept as
 * the score of a sorted-set member (t_zset.h), so ZRANGE, ZREM and friends
 * work on geo keys, as in Redis. Not thread-safe.
 */
#ifndef SEALKV_SERVER_T_GEO_H
#define SEALKV_SERVER_T_GEO_H

#include "server.h"

/* NULL-name terminated; commands.c merges it into the command table. */
extern const command cmds_geo[];

#endif
