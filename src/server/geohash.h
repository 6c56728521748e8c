/* geohash.h - the geohash arithmetic behind the GEO commands (Redis 7.0's).
 *
 * A position is a 52-bit interleaved geohash of 26 steps: latitude bits on
 * the even positions, longitude bits on the odd ones, over longitude
 * -180..180 and the Web Mercator latitude -85.05112878..85.05112878. The
 * GEO commands keep it as the score of a sorted-set member, so the numbers
 * here must be bit-for-bit those of redis-server: the same boxes, the same
 * rounding, the same haversine with Redis's earth radius.
 *
 * A search covers a circle or a box with the centre box of a step chosen
 * from the radius plus its eight neighbours (some dropped when the area is
 * already outside them); every member of those boxes is then tested
 * against the exact shape.
 *
 * Pure functions, no allocation, thread-safe.
 */
#ifndef SEALKV_SERVER_GEOHASH_H
#define SEALKV_SERVER_GEOHASH_H

#include <stdint.h>

#define GEO_STEP_MAX 26 /* 26 * 2 = 52 bits */
#define GEO_LAT_MIN -85.05112878
#define GEO_LAT_MAX 85.05112878
#define GEO_LONG_MIN -180.0
#define GEO_LONG_MAX 180.0
#define GEO_EARTH_RADIUS_M 6372797.560856 /* Redis's value */
#define GEO_MERCATOR_MAX 20037726.37

typedef struct geohash_bits {
    uint64_t bits;
    uint8_t step; /* bits holds 2 * step significant bits; step 0 = no box */
} geohash_bits;

typedef struct geohash_range {
    double min, max;
} geohash_range;

typedef struct geohash_area {
    geohash_bits hash;
    geohash_range longitude, latitude;
} geohash_area;

typedef struct geohash_neighbors {
    geohash_bits north, east, west, south;
    geohash_bits north_east, south_east, north_west, south_west;
} geohash_neighbors;

/* What a search covers: a circle (radius) or an axis-aligned box (width x
 * height) around xy (longitude, latitude). Sizes are in the request's unit;
 * conversion is metres per unit. */
enum geo_shape_type { GEO_SHAPE_CIRCLE = 0, GEO_SHAPE_BOX = 1 };

typedef struct geo_shape {
    enum geo_shape_type type;
    double xy[2];
    double conversion;
    double radius;
    double width, height;
} geo_shape;

/* The centre box and its neighbours (a dropped neighbour is all zero). */
typedef struct geohash_radius {
    geohash_bits hash;
    geohash_area area;
    geohash_neighbors neighbors;
} geohash_radius;

/* Encodes (lon, lat) at step over the given ranges. Returns 0 (and leaves
 * *out unset) when the point is outside the ranges or the Mercator limits. */
int geohash_encode(const geohash_range *lon_r, const geohash_range *lat_r, double lon, double lat,
                   uint8_t step, geohash_bits *out);
int geohash_encode_wgs84(double lon, double lat, uint8_t step, geohash_bits *out);
/* The box of a hash; returns 0 for a zero hash. */
int geohash_decode(geohash_range lon_r, geohash_range lat_r, geohash_bits hash, geohash_area *out);
/* Centre of the 26-step box of a stored score: xy[0] longitude, xy[1]
 * latitude, clamped to the valid ranges. Returns 0 for a zero hash. */
int geohash_decode_wgs84(geohash_bits hash, double xy[2]);
int geohash_decode_score(double score, double xy[2]);
/* The hash shifted to 52 bits (a score). */
uint64_t geohash_align52(geohash_bits hash);
void geohash_get_neighbors(const geohash_bits *hash, geohash_neighbors *out);

/* Great-circle distance in metres (Redis's haversine). */
double geohash_distance(double lon1, double lat1, double lon2, double lat2);
/* Distance along a meridian. */
double geohash_lat_distance(double lat1, double lat2);
/* Step whose box is about range_m wide at lat (1..26). */
uint8_t geohash_estimate_steps(double range_m, double lat);
/* bounds: min lon, min lat, max lon, max lat of the shape. */
void geohash_bounding_box(const geo_shape *shape, double bounds[4]);
geohash_radius geohash_areas_for_shape(const geo_shape *shape);
/* Membership of a point in the shape; sets *dist (metres) when inside. */
int geohash_in_shape(const geo_shape *shape, double lon, double lat, double *dist);
/* 11-character base32 geohash of a 52-bit score, as GEOHASH replies it
 * (re-encoded over latitude -90..90). buf gets 12 bytes (NUL included).
 * Returns 0 when the score cannot be decoded. */
int geohash_to_string(double score, char buf[12]);

#endif
