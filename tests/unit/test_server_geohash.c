/* test_server_geohash.c - geohash arithmetic against values redis-server 7.0
 * gives (GEOADD scores, GEOPOS, GEODIST, GEOHASH of the same points). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../src/core/util.h"
#include "../../src/server/geohash.h"

/* redis-server 7.0: GEOADD Sicily 13.361389 38.115556 Palermo
 * 15.087269 37.502669 Catania; ZSCORE / GEOPOS / GEOHASH / GEODIST. */
#define PALERMO_SCORE 3479099956230698ULL
#define CATANIA_SCORE 3479447370796909ULL

static uint64_t score_of(double lon, double lat) {
    geohash_bits h;
    assert_int_equal(geohash_encode_wgs84(lon, lat, GEO_STEP_MAX, &h), 1);
    return geohash_align52(h);
}

static void test_encode_matches_redis(void **state) {
    (void)state;
    assert_int_equal(score_of(13.361389, 38.115556), PALERMO_SCORE);
    assert_int_equal(score_of(15.087269, 37.502669), CATANIA_SCORE);
    /* corners of the valid range */
    assert_int_equal(score_of(-180, GEO_LAT_MIN), 0);
}

static void test_encode_rejects_out_of_range(void **state) {
    (void)state;
    geohash_bits h = {7, 7};
    assert_int_equal(geohash_encode_wgs84(180.0001, 0, GEO_STEP_MAX, &h), 0);
    assert_int_equal(geohash_encode_wgs84(0, 85.06, GEO_STEP_MAX, &h), 0);
    assert_int_equal(geohash_encode_wgs84(0, -85.06, GEO_STEP_MAX, &h), 0);
    assert_int_equal(geohash_encode_wgs84(0, 0, 0, &h), 0);
    assert_int_equal(h.bits, 7); /* untouched on failure */
}

static void test_decode_matches_geopos(void **state) {
    (void)state;
    double xy[2];
    char buf[64];
    assert_int_equal(geohash_decode_score((double)PALERMO_SCORE, xy), 1);
    util_ld_to_str(buf, sizeof(buf), (long double)xy[0]);
    assert_string_equal(buf, "13.36138933897018433");
    util_ld_to_str(buf, sizeof(buf), (long double)xy[1]);
    assert_string_equal(buf, "38.11555639549629859");
}

static void test_distance_matches_geodist(void **state) {
    (void)state;
    double a[2], b[2];
    char buf[64];
    geohash_decode_score((double)PALERMO_SCORE, a);
    geohash_decode_score((double)CATANIA_SCORE, b);
    snprintf(buf, sizeof(buf), "%.4f", geohash_distance(a[0], a[1], b[0], b[1]));
    assert_string_equal(buf, "166274.1516");
    snprintf(buf, sizeof(buf), "%.4f", geohash_distance(a[0], a[1], b[0], b[1]) / 1609.34);
    assert_string_equal(buf, "103.3182");
    /* same meridian: the latitude arc */
    double d = geohash_distance(10, 0, 10, 1);
    assert_true(fabs(d - geohash_lat_distance(0, 1)) < 1e-9);
    assert_true(fabs(d - 111226.3) < 1.0);
}

static void test_geohash_string(void **state) {
    (void)state;
    char buf[12];
    assert_int_equal(geohash_to_string((double)PALERMO_SCORE, buf), 1);
    assert_string_equal(buf, "sqc8b49rny0");
    assert_int_equal(geohash_to_string((double)CATANIA_SCORE, buf), 1);
    assert_string_equal(buf, "sqdtr74hyu0");
}

static void test_neighbors_are_adjacent(void **state) {
    (void)state;
    geohash_bits h;
    geohash_neighbors n, back;
    assert_int_equal(geohash_encode_wgs84(13.36, 38.11, 10, &h), 1);
    geohash_get_neighbors(&h, &n);
    geohash_get_neighbors(&n.east, &back);
    assert_int_equal(back.west.bits, h.bits);
    geohash_get_neighbors(&n.north, &back);
    assert_int_equal(back.south.bits, h.bits);
    geohash_get_neighbors(&n.south_west, &back);
    assert_int_equal(back.north_east.bits, h.bits);
    /* the east box starts where the centre box ends */
    geohash_range lon = {GEO_LONG_MIN, GEO_LONG_MAX}, lat = {GEO_LAT_MIN, GEO_LAT_MAX};
    geohash_area a, e;
    assert_int_equal(geohash_decode(lon, lat, h, &a), 1);
    assert_int_equal(geohash_decode(lon, lat, n.east, &e), 1);
    assert_true(fabs(a.longitude.max - e.longitude.min) < 1e-12);
    assert_true(fabs(a.latitude.min - e.latitude.min) < 1e-12);
}

static void test_estimate_steps(void **state) {
    (void)state;
    assert_int_equal(geohash_estimate_steps(0, 0), 26);
    assert_int_equal(geohash_estimate_steps(1, 0), 24);
    assert_int_equal(geohash_estimate_steps(100000, 0), 7);
    assert_int_equal(geohash_estimate_steps(100000, 70), 6);
    assert_int_equal(geohash_estimate_steps(100000, -85), 5);
    assert_int_equal(geohash_estimate_steps(1e9, 0), 1);
}

static void test_areas_cover_shape(void **state) {
    (void)state;
    geo_shape s = {.type = GEO_SHAPE_CIRCLE, .xy = {15, 37}, .conversion = 1000, .radius = 200};
    geohash_radius r = geohash_areas_for_shape(&s);
    double b[4];
    geohash_bounding_box(&s, b);
    assert_true(b[0] < 15 && b[2] > 15 && b[1] < 37 && b[3] > 37);
    assert_true(r.hash.step >= 1 && r.hash.step <= 26);
    /* the centre box holds the centre */
    assert_true(r.area.longitude.min <= 15 && r.area.longitude.max >= 15);
    assert_true(r.area.latitude.min <= 37 && r.area.latitude.max >= 37);
    double dist = -1;
    assert_int_equal(geohash_in_shape(&s, 15.087269, 37.502669, &dist), 1);
    assert_true(fabs(dist - 56441.3) < 1);
    assert_int_equal(geohash_in_shape(&s, 13.361389, 38.115556, &dist), 1);
    s.radius = 100;
    assert_int_equal(geohash_in_shape(&s, 13.361389, 38.115556, &dist), 0);
    geo_shape box = {
        .type = GEO_SHAPE_BOX, .xy = {15, 37}, .conversion = 1, .width = 2000, .height = 2000};
    assert_int_equal(geohash_in_shape(&box, 15.005, 37.005, &dist), 1);
    assert_int_equal(geohash_in_shape(&box, 15.02, 37, &dist), 0);
    assert_int_equal(geohash_in_shape(&box, 15, 37.02, &dist), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_matches_redis),
        cmocka_unit_test(test_encode_rejects_out_of_range),
        cmocka_unit_test(test_decode_matches_geopos),
        cmocka_unit_test(test_distance_matches_geodist),
        cmocka_unit_test(test_geohash_string),
        cmocka_unit_test(test_neighbors_are_adjacent),
        cmocka_unit_test(test_estimate_steps),
        cmocka_unit_test(test_areas_cover_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
