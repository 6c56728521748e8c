/* t_geo.c - the GEO commands over sorted sets (see t_geo.h).
 *
 * A member's score is its 52-bit geohash. A search (GEORADIUS*, GEOSEARCH*)
 * picks the centre box and neighbours geohash_areas_for_shape() gives, reads
 * each box as the score interval [box << shift, (box + 1) << shift), keeps
 * the members inside the exact shape, then sorts / trims / replies or
 * stores. Visiting order, the duplicate-box rule and the ANY early stop are
 * Redis 7.0's, so unsorted replies list the same members in the same order.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/mem.h"
#include "../core/util.h"
#include "blocking.h"
#include "geohash.h"
#include "server.h"
#include "t_geo.h"
#include "t_zset.h"

/* --------------------------------------------------------------- helpers */

/* Reads a zset for reading; replies WRONGTYPE (returns -1) for another
 * type. *o is NULL when the key is missing. */
static int lookup_zset_read(client *c, const sstr key, sobj **o) {
    *o = db_lookup_read(c, key);
    if (*o && (*o)->type != OBJ_ZSET) {
        add_reply_wrongtype(c);
        return -1;
    }
    return 0;
}

/* argv[i], argv[i+1] as longitude, latitude inside the geohash limits. */
static int lonlat_arg(client *c, int i, double xy[2]) {
    if (get_double_from_arg(c, i, &xy[0], NULL) < 0 ||
        get_double_from_arg(c, i + 1, &xy[1], NULL) < 0)
        return -1;
    if (xy[0] < GEO_LONG_MIN || xy[0] > GEO_LONG_MAX || xy[1] < GEO_LAT_MIN ||
        xy[1] > GEO_LAT_MAX) {
        add_reply_errorf(c, "ERR invalid longitude,latitude pair %f,%f", xy[0], xy[1]);
        return -1;
    }
    return 0;
}

/* Metres per unit, or -1 after an error reply. */
static double unit_arg(client *c, int i) {
    static const struct {
        const char *name;
        double metres;
    } units[] = {{"m", 1}, {"km", 1000}, {"ft", 0.3048}, {"mi", 1609.34}};
    for (size_t k = 0; k < sizeof(units) / sizeof(units[0]); k++)
        if (arg_is(c, i, units[k].name)) return units[k].metres;
    add_reply_error(c, "ERR unsupported unit provided. please use M, KM, FT, MI");
    return -1;
}

/* "radius unit" at argv[i]. */
static int distance_arg(client *c, int i, geo_shape *shape) {
    double radius;
    if (get_double_from_arg(c, i, &radius, "ERR need numeric radius") < 0) return -1;
    if (radius < 0) {
        add_reply_error(c, "ERR radius cannot be negative");
        return -1;
    }
    double conv = unit_arg(c, i + 1);
    if (conv < 0) return -1;
    shape->type = GEO_SHAPE_CIRCLE;
    shape->radius = radius;
    shape->conversion = conv;
    return 0;
}

/* "width height unit" at argv[i]. */
static int box_arg(client *c, int i, geo_shape *shape) {
    double w, h;
    if (get_double_from_arg(c, i, &w, "ERR need numeric width") < 0 ||
        get_double_from_arg(c, i + 1, &h, "ERR need numeric height") < 0)
        return -1;
    if (h < 0 || w < 0) {
        add_reply_error(c, "ERR height or width cannot be negative");
        return -1;
    }
    double conv = unit_arg(c, i + 2);
    if (conv < 0) return -1;
    shape->type = GEO_SHAPE_BOX;
    shape->width = w;
    shape->height = h;
    shape->conversion = conv;
    return 0;
}

/* Position of a member; 0 when absent. */
static int member_position(sobj *o, const sstr member, double xy[2]) {
    double score;
    if (!zset_score(o, member, sstr_len(member), &score)) return 0;
    return geohash_decode_score(score, xy);
}

static void reply_distance(client *c, double d) {
    char buf[128];
    int n = snprintf(buf, sizeof(buf), "%.4f", d);
    add_reply_bulk(c, buf, (size_t)n);
}

/* Coordinates as Redis's addReplyHumanLongDouble. */
static void reply_coord(client *c, double v) {
    char buf[64];
    int n = util_ld_to_str(buf, sizeof(buf), (long double)v);
    add_reply_bulk(c, buf, (size_t)n);
}

/* ---------------------------------------------------------------- GEOADD */

static void geoadd_command(client *c) {
    int xx = 0, nx = 0, ch = 0, first = 2;
    for (; first < c->argc; first++) {
        if (arg_is(c, first, "nx"))
            nx = 1;
        else if (arg_is(c, first, "xx"))
            xx = 1;
        else if (arg_is(c, first, "ch"))
            ch = 1;
        else
            break;
    }
    int n = (c->argc - first) / 3;
    if ((c->argc - first) % 3 || (xx && nx) || n == 0) {
        add_reply_syntax_error(c);
        return;
    }
    double *scores = sk_malloc(sizeof(double) * (size_t)n);
    size_t maxlen = 0;
    for (int k = 0; k < n; k++) {
        double xy[2];
        geohash_bits h;
        if (lonlat_arg(c, first + k * 3, xy) < 0) goto cleanup;
        geohash_encode_wgs84(xy[0], xy[1], GEO_STEP_MAX, &h);
        scores[k] = (double)geohash_align52(h);
        size_t len = sstr_len(c->argv[first + k * 3 + 2]);
        if (len > maxlen) maxlen = len;
    }
    sobj *o = db_lookup_write(c, c->argv[1]);
    if (o && o->type != OBJ_ZSET) {
        add_reply_wrongtype(c);
        goto cleanup;
    }
    long long added = 0, updated = 0;
    if (!o && !xx) {
        o = zset_new(c->srv, (size_t)n, maxlen);
        db_add(c->srv, c->db, c->argv[1], o);
        blocking_signal_key_ready(c->srv, c->db, c->argv[1]);
    }
    int in = (nx ? ZADD_IN_NX : 0) | (xx ? ZADD_IN_XX : 0);
    for (int k = 0; o && k < n; k++) {
        const sstr ele = c->argv[first + k * 3 + 2];
        int out = 0;
        zset_add(c->srv, o, scores[k], ele, sstr_len(ele), in, &out, NULL);
        if (out & ZADD_OUT_ADDED) added++;
        if (out & ZADD_OUT_UPDATED) updated++;
    }
    c->srv->dirty += added + updated;
    if (added || updated) db_signal_modified(c->srv, c->db, c->argv[1]);
    add_reply_int(c, ch ? added + updated : added);
cleanup:
    sk_free(scores);
}

/* ------------------------------------------------- GEOPOS GEODIST GEOHASH */

static void geopos_command(client *c) {
    sobj *o;
    if (lookup_zset_read(c, c->argv[1], &o) < 0) return;
    add_reply_array(c, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        double xy[2];
        if (!o || !member_position(o, c->argv[j], xy)) {
            add_reply_null_array(c);
            continue;
        }
        add_reply_array(c, 2);
        reply_coord(c, xy[0]);
        reply_coord(c, xy[1]);
    }
}

static void geodist_command(client *c) {
    double to_metres = 1;
    if (c->argc == 5) {
        to_metres = unit_arg(c, 4);
        if (to_metres < 0) return;
    } else if (c->argc > 5) {
        add_reply_syntax_error(c);
        return;
    }
    sobj *o;
    if (lookup_zset_read(c, c->argv[1], &o) < 0) return;
    double a[2], b[2];
    if (!o || !member_position(o, c->argv[2], a) || !member_position(o, c->argv[3], b)) {
        add_reply_null(c);
        return;
    }
    reply_distance(c, geohash_distance(a[0], a[1], b[0], b[1]) / to_metres);
}

static void geohash_command(client *c) {
    sobj *o;
    if (lookup_zset_read(c, c->argv[1], &o) < 0) return;
    add_reply_array(c, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        double score;
        char buf[12];
        if (!o || !zset_score(o, c->argv[j], sstr_len(c->argv[j]), &score) ||
            !geohash_to_string(score, buf)) {
            add_reply_null(c);
            continue;
        }
        add_reply_bulk(c, buf, 11);
    }
}

/* ---------------------------------------------------------------- search */

typedef struct geo_point {
    double lon, lat;
    double dist; /* metres, then request units before replying */
    double score;
    sstr member; /* owned */
} geo_point;

typedef struct geo_array {
    geo_point *p; /* owned */
    size_t used, cap;
} geo_array;

static void geo_array_push(geo_array *ga, const geo_point *pt) {
    if (ga->used == ga->cap) {
        ga->cap = ga->cap ? ga->cap * 2 : 16;
        ga->p = sk_realloc(ga->p, ga->cap * sizeof(*ga->p));
    }
    ga->p[ga->used++] = *pt;
}

static void geo_array_free(geo_array *ga) {
    for (size_t i = 0; i < ga->used; i++)
        sstr_free(ga->p[i].member);
    sk_free(ga->p);
}

/* Adds the members whose score lies in [min, max) and whose position is
 * inside the shape, in score order; stops once limit (0: none) is met. */
static void points_in_range(sobj *o, double min, double max, const geo_shape *shape, geo_array *ga,
                            size_t limit) {
    zscore_range r = {.min = min, .max = max, .minex = 0, .maxex = 1};
    unsigned long start, n = zset_score_span(o, &r, &start);
    zset_iter it;
    zset_elem e;
    zset_iter_init(&it, o, start, 0);
    for (unsigned long k = 0; k < n && zset_iter_next(&it, &e); k++) {
        geo_point pt;
        double xy[2];
        if (!geohash_decode_score(e.score, xy)) continue;
        if (!geohash_in_shape(shape, xy[0], xy[1], &pt.dist)) continue;
        pt.lon = xy[0];
        pt.lat = xy[1];
        pt.score = e.score;
        pt.member = sstr_new(e.p, e.len);
        geo_array_push(ga, &pt);
        if (limit && ga->used >= limit) break;
    }
}

static int hash_is_zero(geohash_bits h) {
    return h.bits == 0 && h.step == 0;
}

/* Visits the centre then N S E W NE NW SE SW, as Redis does. A box equal
 * to the last one visited is skipped (large radii make neighbours
 * coincide); like Redis, the comparison is skipped while the last visited
 * is the centre (index 0). */
static void members_of_all_neighbors(sobj *o, const geohash_radius *gr, const geo_shape *shape,
                                     geo_array *ga, size_t limit) {
    const geohash_neighbors *n = &gr->neighbors;
    geohash_bits boxes[9] = {gr->hash,      n->north,      n->south,      n->east,      n->west,
                             n->north_east, n->north_west, n->south_east, n->south_west};
    unsigned last = 0;
    for (unsigned i = 0; i < 9; i++) {
        if (hash_is_zero(boxes[i])) continue;
        if (last && boxes[i].bits == boxes[last].bits && boxes[i].step == boxes[last].step)
            continue;
        if (ga->used && limit && ga->used >= limit) break;
        geohash_bits next = boxes[i];
        next.bits++;
        points_in_range(o, (double)geohash_align52(boxes[i]), (double)geohash_align52(next), shape,
                        ga, limit);
        last = i;
    }
}

static int cmp_dist_asc(const void *a, const void *b) {
    double x = ((const geo_point *)a)->dist, y = ((const geo_point *)b)->dist;
    return x > y ? 1 : x < y ? -1 : 0;
}

static int cmp_dist_desc(const void *a, const void *b) {
    return -cmp_dist_asc(a, b);
}

/* -------------------------------------------------- GEORADIUS / GEOSEARCH */

#define GEO_RADIUS_COORDS (1 << 0) /* GEORADIUS: lon lat radius unit */
#define GEO_RADIUS_MEMBER (1 << 1) /* GEORADIUSBYMEMBER: member radius unit */
#define GEO_NOSTORE (1 << 2)       /* the _RO forms */
#define GEO_SEARCH (1 << 3)        /* GEOSEARCH: FROM* and BY* options */
#define GEO_SEARCHSTORE (1 << 4)   /* GEOSEARCHSTORE dst src ... */

enum { GEO_SORT_NONE, GEO_SORT_ASC, GEO_SORT_DESC };

typedef struct geo_req {
    geo_shape shape;
    sstr storekey; /* borrowed argv, NULL: reply */
    int storedist;
    int withdist, withhash, withcoord;
    int frommember, fromloc, byradius, bybox;
    int sort, any;
    long long count;
} geo_req;

/* FROMMEMBER / FROMLONLAT / BYRADIUS / BYBOX at argv[j]; returns the
 * number of arguments used, 0 when argv[j] is none of them (or one not
 * allowed here), -1 after an error reply. */
static int parse_search_opt(client *c, int j, int remaining, sobj *o, geo_req *q) {
    if (arg_is(c, j, "frommember") && remaining > 1 && !q->fromloc) {
        if (o && !member_position(o, c->argv[j + 1], q->shape.xy)) {
            add_reply_error(c, "ERR could not decode requested zset member");
            return -1;
        }
        q->frommember = 1;
        return 2;
    }
    if (arg_is(c, j, "fromlonlat") && remaining > 2 && !q->frommember) {
        if (lonlat_arg(c, j + 1, q->shape.xy) < 0) return -1;
        q->fromloc = 1;
        return 3;
    }
    if (arg_is(c, j, "byradius") && remaining > 2 && !q->bybox) {
        if (distance_arg(c, j + 1, &q->shape) < 0) return -1;
        q->byradius = 1;
        return 3;
    }
    if (arg_is(c, j, "bybox") && remaining > 3 && !q->byradius) {
        if (box_arg(c, j + 1, &q->shape) < 0) return -1;
        q->bybox = 1;
        return 4;
    }
    return 0;
}

/* One option at argv[j] (remaining = arguments from j on); returns the
 * number used or -1 after an error reply. */
static int parse_opt(client *c, int j, int remaining, int flags, sobj *o, geo_req *q) {
    if (arg_is(c, j, "withdist")) return q->withdist = 1;
    if (arg_is(c, j, "withhash")) return q->withhash = 1;
    if (arg_is(c, j, "withcoord")) return q->withcoord = 1;
    if (arg_is(c, j, "any")) return q->any = 1;
    if (arg_is(c, j, "asc")) return (q->sort = GEO_SORT_ASC), 1;
    if (arg_is(c, j, "desc")) return (q->sort = GEO_SORT_DESC), 1;
    if (arg_is(c, j, "count") && remaining > 1) {
        if (get_ll_from_arg(c, j + 1, &q->count, NULL) < 0) return -1;
        if (q->count <= 0) {
            add_reply_error(c, "ERR COUNT must be > 0");
            return -1;
        }
        return 2;
    }
    if ((arg_is(c, j, "store") || arg_is(c, j, "storedist")) && remaining > 1 &&
        !(flags & (GEO_NOSTORE | GEO_SEARCH))) {
        q->storekey = c->argv[j + 1];
        q->storedist = arg_is(c, j, "storedist");
        return 2;
    }
    if (arg_is(c, j, "storedist") && (flags & GEO_SEARCHSTORE)) return q->storedist = 1;
    if (flags & GEO_SEARCH) {
        int used = parse_search_opt(c, j, remaining, o, q);
        if (used) return used;
    }
    add_reply_syntax_error(c);
    return -1;
}

/* Checks of the option combinations, with Redis's texts and order. */
static int check_opts(client *c, int flags, const geo_req *q) {
    if ((q->storekey || (flags & GEO_SEARCHSTORE)) &&
        (q->withdist || q->withhash || q->withcoord)) {
        add_reply_errorf(c,
                         "ERR %s is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
                         flags & GEO_SEARCHSTORE ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS");
        return -1;
    }
    if ((flags & GEO_SEARCH) && !(q->frommember || q->fromloc)) {
        add_reply_errorf(c, "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for %s",
                         c->argv[0]);
        return -1;
    }
    if ((flags & GEO_SEARCH) && !(q->byradius || q->bybox)) {
        add_reply_errorf(c, "ERR exactly one of BYRADIUS and BYBOX can be specified for %s",
                         c->argv[0]);
        return -1;
    }
    if (q->any && !q->count) {
        add_reply_error(c, "ERR the ANY argument requires COUNT argument");
        return -1;
    }
    return 0;
}

/* The fixed leading arguments of GEORADIUS / GEORADIUSBYMEMBER. Returns the
 * index of the first option, or -1 after an error reply. */
static int parse_fixed(client *c, int flags, sobj *o, geo_req *q) {
    if (flags & GEO_RADIUS_COORDS) {
        if (lonlat_arg(c, 2, q->shape.xy) < 0 || distance_arg(c, 4, &q->shape) < 0) return -1;
        return 6;
    }
    if (flags & GEO_RADIUS_MEMBER) {
        if (!o) return 5; /* parse the options anyway: the reply depends on STORE */
        if (!member_position(o, c->argv[2], q->shape.xy)) {
            add_reply_error(c, "ERR could not decode requested zset member");
            return -1;
        }
        if (distance_arg(c, 3, &q->shape) < 0) return -1;
        return 5;
    }
    return (flags & GEO_SEARCHSTORE) ? 3 : 2;
}

static void delete_store_key(client *c, const sstr key) {
    if (db_delete(c->srv, c->db, key)) c->srv->dirty++;
}

static void reply_points(client *c, const geo_req *q, geo_array *ga, size_t n) {
    int opts = q->withdist + q->withhash + q->withcoord;
    add_reply_array(c, (long long)n);
    for (size_t i = 0; i < n; i++) {
        geo_point *gp = &ga->p[i];
        if (opts) add_reply_array(c, opts + 1);
        add_reply_bulk_sstr(c, gp->member);
        if (q->withdist) reply_distance(c, gp->dist);
        if (q->withhash) add_reply_int(c, (long long)gp->score);
        if (q->withcoord) {
            add_reply_array(c, 2);
            reply_coord(c, gp->lon);
            reply_coord(c, gp->lat);
        }
    }
}

static void store_points(client *c, const geo_req *q, geo_array *ga, size_t n) {
    if (n == 0) {
        delete_store_key(c, q->storekey);
        add_reply_int(c, 0);
        return;
    }
    size_t maxlen = 0;
    for (size_t i = 0; i < n; i++)
        if (sstr_len(ga->p[i].member) > maxlen) maxlen = sstr_len(ga->p[i].member);
    sobj *z = zset_new(c->srv, n, maxlen);
    for (size_t i = 0; i < n; i++) {
        geo_point *gp = &ga->p[i];
        double score = q->storedist ? gp->dist : gp->score;
        int out;
        zset_add(c->srv, z, score, gp->member, sstr_len(gp->member), 0, &out, NULL);
    }
    int existed = db_exists(c->srv, c->db, q->storekey);
    db_set_key(c, c->db, q->storekey, z, 0);
    if (!existed) blocking_signal_key_ready(c->srv, c->db, q->storekey);
    c->srv->dirty += (long long)n;
    add_reply_int(c, (long long)n);
}

static void search_and_reply(client *c, sobj *o, geo_req *q) {
    /* COUNT without an order means "the nearest N": sort ascending. */
    if (q->count && q->sort == GEO_SORT_NONE && !q->any) q->sort = GEO_SORT_ASC;
    geohash_radius gr = geohash_areas_for_shape(&q->shape);
    geo_array ga = {0};
    members_of_all_neighbors(o, &gr, &q->shape, &ga, q->any ? (size_t)q->count : 0);
    if (ga.used == 0 && !q->storekey) {
        add_reply_array(c, 0);
        goto cleanup;
    }
    size_t n = ga.used;
    if (q->count && (size_t)q->count < n) n = (size_t)q->count;
    if (q->sort != GEO_SORT_NONE && ga.used > 1)
        qsort(ga.p, ga.used, sizeof(*ga.p), q->sort == GEO_SORT_ASC ? cmp_dist_asc : cmp_dist_desc);
    for (size_t i = 0; i < n; i++)
        ga.p[i].dist /= q->shape.conversion;
    if (q->storekey)
        store_points(c, q, &ga, n);
    else
        reply_points(c, q, &ga, n);
cleanup:
    geo_array_free(&ga);
}

static void georadius_generic(client *c, int srcidx, int flags) {
    geo_req q;
    memset(&q, 0, sizeof(q));
    sobj *o;
    if (lookup_zset_read(c, c->argv[srcidx], &o) < 0) return;
    int base = parse_fixed(c, flags, o, &q);
    if (base < 0) return;
    if (flags & GEO_SEARCHSTORE) q.storekey = c->argv[1];
    for (int j = base; j < c->argc;) {
        int used = parse_opt(c, j, c->argc - j, flags, o, &q);
        if (used < 0) return;
        j += used;
    }
    if (check_opts(c, flags, &q) < 0) return;
    if (!o) {
        if (q.storekey) {
            delete_store_key(c, q.storekey);
            add_reply_int(c, 0);
        } else {
            add_reply_array(c, 0);
        }
        return;
    }
    search_and_reply(c, o, &q);
}

static void georadius_command(client *c) {
    georadius_generic(c, 1, GEO_RADIUS_COORDS);
}

static void georadius_ro_command(client *c) {
    georadius_generic(c, 1, GEO_RADIUS_COORDS | GEO_NOSTORE);
}

static void georadiusbymember_command(client *c) {
    georadius_generic(c, 1, GEO_RADIUS_MEMBER);
}

static void georadiusbymember_ro_command(client *c) {
    georadius_generic(c, 1, GEO_RADIUS_MEMBER | GEO_NOSTORE);
}

static void geosearch_command(client *c) {
    georadius_generic(c, 1, GEO_SEARCH);
}

static void geosearchstore_command(client *c) {
    georadius_generic(c, 2, GEO_SEARCH | GEO_SEARCHSTORE);
}

/* ------------------------------------------------------------ the table */

#define W CMD_WRITE
#define R CMD_READONLY
#define D CMD_DENYOOM
#define G "geo"

const command cmds_geo[] = {
    {"geoadd", geoadd_command, -5, W | D, 1, 1, 1, G,
     "Add one or more geospatial items in the geospatial index represented using a sorted set",
     "3.2.0", NULL},
    {"geodist", geodist_command, -4, R, 1, 1, 1, G,
     "Returns the distance between two members of a geospatial index", "3.2.0", NULL},
    {"geohash", geohash_command, -2, R, 1, 1, 1, G,
     "Returns members of a geospatial index as standard geohash strings", "3.2.0", NULL},
    {"geopos", geopos_command, -2, R, 1, 1, 1, G,
     "Returns longitude and latitude of members of a geospatial index", "3.2.0", NULL},
    {"georadius", georadius_command, -6, W | D, 1, 1, 1, G,
     "Query a sorted set representing a geospatial index to fetch members matching a given "
     "maximum distance from a point",
     "3.2.0", NULL},
    {"georadius_ro", georadius_ro_command, -6, R, 1, 1, 1, G, "A read-only variant for GEORADIUS",
     "3.2.10", NULL},
    {"georadiusbymember", georadiusbymember_command, -5, W | D, 1, 1, 1, G,
     "Query a sorted set representing a geospatial index to fetch members matching a given "
     "maximum distance from a member",
     "3.2.0", NULL},
    {"georadiusbymember_ro", georadiusbymember_ro_command, -5, R, 1, 1, 1, G,
     "A read-only variant for GEORADIUSBYMEMBER", "3.2.10", NULL},
    {"geosearch", geosearch_command, -7, R, 1, 1, 1, G,
     "Query a sorted set representing a geospatial index to fetch members inside an area of a "
     "box or a circle.",
     "6.2.0", NULL},
    {"geosearchstore", geosearchstore_command, -8, W | D, 1, 2, 1, G,
     "Query a sorted set representing a geospatial index to fetch members inside an area of a "
     "box or a circle, and store the result in another key.",
     "6.2.0", NULL},
    {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};
