/* geohash.c - geohash encoding, boxes, neighbours and distances (see
 * geohash.h). The arithmetic follows redis-server 7.0 step by step (same
 * operation order, same double roundings) because GEO scores, box limits
 * and the members a search returns must match it exactly.
 */
#include "geohash.h"

#include <math.h>
#include <string.h>

static const double deg_to_rad = M_PI / 180.0;

static double deg_rad(double d) {
    return d * deg_to_rad;
}

static double rad_deg(double r) {
    return r / deg_to_rad;
}

static int range_is_zero(geohash_range r) {
    return r.min == 0 && r.max == 0;
}

static int hash_is_zero(geohash_bits h) {
    return h.bits == 0 && h.step == 0;
}

/* Spreads the 32 bits of v over the even bit positions of a 64-bit word. */
static uint64_t spread_bits(uint32_t v) {
    uint64_t x = v;
    x = (x | (x << 16)) & 0x0000FFFF0000FFFFULL;
    x = (x | (x << 8)) & 0x00FF00FF00FF00FFULL;
    x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FULL;
    x = (x | (x << 2)) & 0x3333333333333333ULL;
    x = (x | (x << 1)) & 0x5555555555555555ULL;
    return x;
}

/* Inverse of spread_bits: gathers the even bits of x. */
static uint32_t gather_bits(uint64_t x) {
    x &= 0x5555555555555555ULL;
    x = (x | (x >> 1)) & 0x3333333333333333ULL;
    x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0FULL;
    x = (x | (x >> 4)) & 0x00FF00FF00FF00FFULL;
    x = (x | (x >> 8)) & 0x0000FFFF0000FFFFULL;
    x = (x | (x >> 16)) & 0x00000000FFFFFFFFULL;
    return (uint32_t)x;
}

static void wgs84_ranges(geohash_range *lon_r, geohash_range *lat_r) {
    lon_r->min = GEO_LONG_MIN;
    lon_r->max = GEO_LONG_MAX;
    lat_r->min = GEO_LAT_MIN;
    lat_r->max = GEO_LAT_MAX;
}

int geohash_encode(const geohash_range *lon_r, const geohash_range *lat_r, double lon, double lat,
                   uint8_t step, geohash_bits *out) {
    if (step > 32 || step == 0 || range_is_zero(*lat_r) || range_is_zero(*lon_r)) return 0;
    if (lon > GEO_LONG_MAX || lon < GEO_LONG_MIN || lat > GEO_LAT_MAX || lat < GEO_LAT_MIN)
        return 0;
    if (lat < lat_r->min || lat > lat_r->max || lon < lon_r->min || lon > lon_r->max) return 0;
    double lat_off = (lat - lat_r->min) / (lat_r->max - lat_r->min);
    double lon_off = (lon - lon_r->min) / (lon_r->max - lon_r->min);
    lat_off *= (double)(1ULL << step);
    lon_off *= (double)(1ULL << step);
    /* Truncation to 32 bits as Redis's interleave64(uint32_t, uint32_t). */
    out->bits = spread_bits((uint32_t)lat_off) | (spread_bits((uint32_t)lon_off) << 1);
    out->step = step;
    return 1;
}

int geohash_encode_wgs84(double lon, double lat, uint8_t step, geohash_bits *out) {
    geohash_range lon_r, lat_r;
    wgs84_ranges(&lon_r, &lat_r);
    return geohash_encode(&lon_r, &lat_r, lon, lat, step, out);
}

int geohash_decode(geohash_range lon_r, geohash_range lat_r, geohash_bits hash, geohash_area *out) {
    if (hash_is_zero(hash) || range_is_zero(lat_r) || range_is_zero(lon_r)) return 0;
    out->hash = hash;
    uint32_t ilat = gather_bits(hash.bits);
    uint32_t ilon = gather_bits(hash.bits >> 1);
    double lat_scale = lat_r.max - lat_r.min;
    double lon_scale = lon_r.max - lon_r.min;
    double cells = (double)(1ULL << hash.step);
    out->latitude.min = lat_r.min + (ilat * 1.0 / cells) * lat_scale;
    out->latitude.max = lat_r.min + ((ilat + 1) * 1.0 / cells) * lat_scale;
    out->longitude.min = lon_r.min + (ilon * 1.0 / cells) * lon_scale;
    out->longitude.max = lon_r.min + ((ilon + 1) * 1.0 / cells) * lon_scale;
    return 1;
}

static double clamp(double v, double lo, double hi) {
    return v > hi ? hi : v < lo ? lo : v;
}

int geohash_decode_wgs84(geohash_bits hash, double xy[2]) {
    geohash_range lon_r, lat_r;
    geohash_area a;
    wgs84_ranges(&lon_r, &lat_r);
    if (!geohash_decode(lon_r, lat_r, hash, &a)) return 0;
    xy[0] = clamp((a.longitude.min + a.longitude.max) / 2, GEO_LONG_MIN, GEO_LONG_MAX);
    xy[1] = clamp((a.latitude.min + a.latitude.max) / 2, GEO_LAT_MIN, GEO_LAT_MAX);
    return 1;
}

int geohash_decode_score(double score, double xy[2]) {
    /* A score set by ZADD may be anything; Redis casts it the same way, but
     * a negative or huge double is undefined in C, so clamp first. */
    uint64_t bits = 0;
    if (score > 0 && score < 18446744073709551616.0) bits = (uint64_t)score;
    geohash_bits h = {.bits = bits, .step = GEO_STEP_MAX};
    return geohash_decode_wgs84(h, xy);
}

uint64_t geohash_align52(geohash_bits hash) {
    return hash.bits << (52 - hash.step * 2);
}

/* Moves a hash one box east (d > 0) or west (d < 0): the longitude bits
 * are the odd ones, so the carry must skip the latitude bits between them. */
static void move_x(geohash_bits *h, int d) {
    if (d == 0) return;
    uint64_t x = h->bits & 0xaaaaaaaaaaaaaaaaULL;
    uint64_t y = h->bits & 0x5555555555555555ULL;
    uint64_t zz = 0x5555555555555555ULL >> (64 - h->step * 2);
    if (d > 0) {
        x = x + (zz + 1);
    } else {
        x = x | zz;
        x = x - (zz + 1);
    }
    x &= (0xaaaaaaaaaaaaaaaaULL >> (64 - h->step * 2));
    h->bits = x | y;
}

/* Same along the latitude (even) bits: north (d > 0) or south. */
static void move_y(geohash_bits *h, int d) {
    if (d == 0) return;
    uint64_t x = h->bits & 0xaaaaaaaaaaaaaaaaULL;
    uint64_t y = h->bits & 0x5555555555555555ULL;
    uint64_t zz = 0xaaaaaaaaaaaaaaaaULL >> (64 - h->step * 2);
    if (d > 0) {
        y = y + (zz + 1);
    } else {
        y = y | zz;
        y = y - (zz + 1);
    }
    y &= (0x5555555555555555ULL >> (64 - h->step * 2));
    h->bits = x | y;
}

static geohash_bits moved(const geohash_bits *h, int dx, int dy) {
    geohash_bits r = *h;
    move_x(&r, dx);
    move_y(&r, dy);
    return r;
}

void geohash_get_neighbors(const geohash_bits *hash, geohash_neighbors *out) {
    out->east = moved(hash, 1, 0);
    out->west = moved(hash, -1, 0);
    out->south = moved(hash, 0, -1);
    out->north = moved(hash, 0, 1);
    out->north_west = moved(hash, -1, 1);
    out->south_west = moved(hash, -1, -1);
    out->north_east = moved(hash, 1, 1);
    out->south_east = moved(hash, 1, -1);
}

double geohash_lat_distance(double lat1, double lat2) {
    return GEO_EARTH_RADIUS_M * fabs(deg_rad(lat2) - deg_rad(lat1));
}

double geohash_distance(double lon1, double lat1, double lon2, double lat2) {
    double lon1r = deg_rad(lon1), lon2r = deg_rad(lon2);
    double v = sin((lon2r - lon1r) / 2);
    /* Same meridian: the haversine reduces to the latitude arc (Redis
     * takes this shortcut, and the last bits differ without it). */
    if (v == 0.0) return geohash_lat_distance(lat1, lat2);
    double lat1r = deg_rad(lat1), lat2r = deg_rad(lat2);
    double u = sin((lat2r - lat1r) / 2);
    double a = u * u + cos(lat1r) * cos(lat2r) * v * v;
    return 2.0 * GEO_EARTH_RADIUS_M * asin(sqrt(a));
}

uint8_t geohash_estimate_steps(double range_m, double lat) {
    if (range_m == 0) return 26;
    int step = 1;
    while (range_m < GEO_MERCATOR_MAX) {
        range_m *= 2;
        step++;
    }
    step -= 2; /* so that the range fits most base cases */
    /* Boxes narrow towards the poles: widen them there. */
    if (lat > 66 || lat < -66) {
        step--;
        if (lat > 80 || lat < -80) step--;
    }
    if (step < 1) step = 1;
    if (step > 26) step = 26;
    return (uint8_t)step;
}

void geohash_bounding_box(const geo_shape *shape, double bounds[4]) {
    double lon = shape->xy[0], lat = shape->xy[1];
    int circle = shape->type == GEO_SHAPE_CIRCLE;
    double height = shape->conversion * (circle ? shape->radius : shape->height / 2);
    double width = shape->conversion * (circle ? shape->radius : shape->width / 2);
    double lat_delta = rad_deg(height / GEO_EARTH_RADIUS_M);
    double lon_delta_top = rad_deg(width / GEO_EARTH_RADIUS_M / cos(deg_rad(lat + lat_delta)));
    double lon_delta_bottom = rad_deg(width / GEO_EARTH_RADIUS_M / cos(deg_rad(lat - lat_delta)));
    /* The widest edge is the one nearer the equator. */
    int southern = lat < 0;
    bounds[0] = southern ? lon - lon_delta_bottom : lon - lon_delta_top;
    bounds[2] = southern ? lon + lon_delta_bottom : lon + lon_delta_top;
    bounds[1] = lat - lat_delta;
    bounds[3] = lat + lat_delta;
}

static void area_at_step(const geo_shape *shape, uint8_t steps, geohash_radius *r) {
    geohash_range lon_r, lat_r;
    wgs84_ranges(&lon_r, &lat_r);
    memset(&r->hash, 0, sizeof(r->hash));
    memset(&r->area, 0, sizeof(r->area));
    geohash_encode(&lon_r, &lat_r, shape->xy[0], shape->xy[1], steps, &r->hash);
    geohash_get_neighbors(&r->hash, &r->neighbors);
    geohash_decode(lon_r, lat_r, r->hash, &r->area);
}

/* 1 when one of the direct neighbours does not reach the bounding box:
 * the boxes are too small and the step must go down by one. */
static int step_too_fine(const geohash_neighbors *n, const double b[4]) {
    geohash_range lon_r, lat_r;
    geohash_area north, south, east, west;
    wgs84_ranges(&lon_r, &lat_r);
    memset(&north, 0, sizeof(north));
    south = east = west = north;
    geohash_decode(lon_r, lat_r, n->north, &north);
    geohash_decode(lon_r, lat_r, n->south, &south);
    geohash_decode(lon_r, lat_r, n->east, &east);
    geohash_decode(lon_r, lat_r, n->west, &west);
    return north.latitude.max < b[3] || south.latitude.min > b[1] || east.longitude.max < b[2] ||
           west.longitude.min > b[0];
}

static void zero3(geohash_bits *a, geohash_bits *b, geohash_bits *c) {
    memset(a, 0, sizeof(*a));
    memset(b, 0, sizeof(*b));
    memset(c, 0, sizeof(*c));
}

geohash_radius geohash_areas_for_shape(const geo_shape *shape) {
    geohash_radius r;
    double b[4];
    geohash_bounding_box(shape, b);
    double radius_m = shape->type == GEO_SHAPE_CIRCLE
                          ? shape->radius
                          : sqrt((shape->width / 2) * (shape->width / 2) +
                                 (shape->height / 2) * (shape->height / 2));
    radius_m *= shape->conversion;
    uint8_t steps = geohash_estimate_steps(radius_m, shape->xy[1]);
    area_at_step(shape, steps, &r);
    if (steps > 1 && step_too_fine(&r.neighbors, b)) {
        steps--;
        area_at_step(shape, steps, &r);
    }
    /* Drop the neighbours the bounding box cannot reach. */
    geohash_neighbors *n = &r.neighbors;
    if (steps >= 2) {
        if (r.area.latitude.min < b[1]) zero3(&n->south, &n->south_west, &n->south_east);
        if (r.area.latitude.max > b[3]) zero3(&n->north, &n->north_east, &n->north_west);
        if (r.area.longitude.min < b[0]) zero3(&n->west, &n->south_west, &n->north_west);
        if (r.area.longitude.max > b[2]) zero3(&n->east, &n->south_east, &n->north_east);
    }
    return r;
}

int geohash_in_shape(const geo_shape *shape, double lon, double lat, double *dist) {
    double x1 = shape->xy[0], y1 = shape->xy[1];
    if (shape->type == GEO_SHAPE_CIRCLE) {
        double d = geohash_distance(x1, y1, lon, lat);
        if (d > shape->radius * shape->conversion) return 0;
        *dist = d;
        return 1;
    }
    /* Box: the latitude arc is cheaper, test it first. */
    double height_m = shape->height * shape->conversion;
    double width_m = shape->width * shape->conversion;
    if (geohash_lat_distance(lat, y1) > height_m / 2) return 0;
    if (geohash_distance(lon, lat, x1, lat) > width_m / 2) return 0;
    *dist = geohash_distance(x1, y1, lon, lat);
    return 1;
}

int geohash_to_string(double score, char buf[12]) {
    static const char alphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
    double xy[2];
    if (!geohash_decode_score(score, xy)) return 0;
    /* The standard geohash spans latitude -90..90, not Mercator's range. */
    geohash_range lon_r = {-180, 180}, lat_r = {-90, 90};
    geohash_bits h = {0, 0};
    geohash_encode(&lon_r, &lat_r, xy[0], xy[1], GEO_STEP_MAX, &h);
    for (int i = 0; i < 11; i++) {
        /* 52 bits give ten full characters; the 11th is always '0'. */
        int idx = i == 10 ? 0 : (int)((h.bits >> (52 - ((i + 1) * 5))) & 0x1f);
        buf[i] = alphabet[idx];
    }
    buf[11] = '\0';
    return 1;
}
