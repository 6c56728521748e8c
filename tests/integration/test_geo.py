"""GEO commands (GEOADD GEODIST GEOHASH GEOPOS GEORADIUS* GEOSEARCH*) on sorted sets, with the
replies, number formats, errors and search results of redis-server 7.0, plain and over TLS."""

import random

import pytest

from helpers import err

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "ERR syntax error"
NOTFLOAT = "ERR value is not a valid float"
NOTINT = "ERR value is not an integer or out of range"
BADUNIT = "ERR unsupported unit provided. please use M, KM, FT, MI"

PALERMO = ("13.361389", "38.115556")
CATANIA = ("15.087269", "37.502669")


@pytest.fixture
def g(r):
    """The r client without redis-py's reply parsers (replies exactly as sent)."""
    r.response_callbacks = {}
    return r


def ex(g, *args):
    return g.execute_command(*args)


def sicily(g):
    assert ex(g, "GEOADD", "Sicily", *PALERMO, "Palermo", *CATANIA, "Catania") == 2


def test_geoadd_stores_geohash_scores(g):
    sicily(g)
    assert ex(g, "ZRANGE", "Sicily", "0", "-1", "WITHSCORES") == \
        ["Palermo", "3479099956230698", "Catania", "3479447370796909"]
    assert ex(g, "TYPE", "Sicily") == "zset"
    assert ex(g, "OBJECT", "ENCODING", "Sicily") == "listpack"
    # same members again: nothing added
    assert ex(g, "GEOADD", "Sicily", *PALERMO, "Palermo") == 0
    assert ex(g, "GEOADD", "Sicily", "CH", "13.5", "38", "Palermo", "1", "2", "New") == 2
    assert ex(g, "GEOADD", "Sicily", "XX", "CH", "13.361389", "38.115556", "Palermo", "3", "4",
              "Other") == 1
    assert ex(g, "ZSCORE", "Sicily", "Other") is None
    assert ex(g, "GEOADD", "Sicily", "NX", "CH", "0", "0", "Palermo", "3", "4", "Other") == 1
    assert ex(g, "ZSCORE", "Sicily", "Palermo") == "3479099956230698"
    assert ex(g, "GEOADD", "nokey", "XX", "1", "2", "a") == 0
    assert ex(g, "EXISTS", "nokey") == 0


def test_geoadd_errors(g):
    assert err(g, "GEOADD", "k", "200", "100", "x") == \
        "ERR invalid longitude,latitude pair 200.000000,100.000000"
    assert err(g, "GEOADD", "k", "10", "85.06", "x") == \
        "ERR invalid longitude,latitude pair 10.000000,85.060000"
    assert err(g, "GEOADD", "k", "1", "2", "a", "3", "4") == SYNTAX
    assert err(g, "GEOADD", "k", "NX", "XX", "1", "2", "a") == SYNTAX
    assert err(g, "GEOADD", "k", "abc", "2", "a") == NOTFLOAT
    assert err(g, "GEOADD", "k", "1", "2") == \
        "ERR wrong number of arguments for 'geoadd' command"
    assert ex(g, "EXISTS", "k") == 0
    ex(g, "SET", "s", "x")
    assert err(g, "GEOADD", "s", "1", "2", "a") == WRONGTYPE
    # a bad pair fails the whole command before the type check
    assert err(g, "GEOADD", "s", "1", "200", "a") == \
        "ERR invalid longitude,latitude pair 1.000000,200.000000"


def test_geopos_geohash_geodist(g):
    sicily(g)
    assert ex(g, "GEOPOS", "Sicily", "Palermo", "nope", "Catania") == [
        ["13.36138933897018433", "38.11555639549629859"], None,
        ["15.08726745843887329", "37.50266842333162032"]]
    assert ex(g, "GEOPOS", "missing", "a") == [None]
    assert ex(g, "GEOHASH", "Sicily", "Palermo", "Catania", "nope") == \
        ["sqc8b49rny0", "sqdtr74hyu0", None]
    assert ex(g, "GEOHASH", "missing", "a", "b") == [None, None]
    assert ex(g, "GEODIST", "Sicily", "Palermo", "Catania") == "166274.1516"
    assert ex(g, "GEODIST", "Sicily", "Palermo", "Catania", "km") == "166.2742"
    assert ex(g, "GEODIST", "Sicily", "Palermo", "Catania", "MI") == "103.3182"
    assert ex(g, "GEODIST", "Sicily", "Palermo", "Catania", "ft") == "545518.8700"
    assert ex(g, "GEODIST", "Sicily", "Palermo", "Palermo") == "0.0000"
    assert ex(g, "GEODIST", "Sicily", "Palermo", "nope") is None
    assert ex(g, "GEODIST", "missing", "a", "b") is None
    assert err(g, "GEODIST", "Sicily", "Palermo", "Catania", "yd") == BADUNIT
    assert err(g, "GEODIST", "Sicily", "Palermo", "Catania", "km", "x") == SYNTAX
    ex(g, "SET", "s", "x")
    for args in (("GEOPOS", "s", "a"), ("GEOHASH", "s", "a"), ("GEODIST", "s", "a", "b")):
        assert err(g, *args) == WRONGTYPE


def test_geopos_of_plain_zset_member(g):
    ex(g, "ZADD", "z", "0", "zero", "1e15", "big")
    assert ex(g, "GEOPOS", "z", "zero") == [["-179.99999731779098511", "-85.05112751263942528"]]
    assert ex(g, "GEOHASH", "z", "big") == ["763by63d250"]


def test_georadius_options(g):
    sicily(g)
    assert ex(g, "GEORADIUS", "Sicily", "15", "37", "100", "km") == ["Catania"]
    assert ex(g, "GEORADIUS", "Sicily", "15", "37", "200", "km", "ASC") == \
        ["Catania", "Palermo"]
    assert ex(g, "GEORADIUS", "Sicily", "15", "37", "200", "km", "DESC") == \
        ["Palermo", "Catania"]
    assert ex(g, "GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHCOORD",
              "WITHHASH", "ASC") == [
        ["Catania", "56.4413", 3479447370796909,
         ["15.08726745843887329", "37.50266842333162032"]],
        ["Palermo", "190.4424", 3479099956230698,
         ["13.36138933897018433", "38.11555639549629859"]]]
    assert ex(g, "GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1") == ["Catania"]
    assert ex(g, "GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1", "DESC") == \
        ["Palermo"]
    assert ex(g, "GEORADIUS_RO", "Sicily", "15", "37", "120", "mi", "WITHDIST") == \
        [["Palermo", "118.3357"], ["Catania", "35.0711"]]
    assert ex(g, "GEORADIUSBYMEMBER", "Sicily", "Palermo", "170", "km", "WITHDIST", "ASC") == \
        [["Palermo", "0.0000"], ["Catania", "166.2742"]]
    assert ex(g, "GEORADIUSBYMEMBER_RO", "Sicily", "Catania", "1", "m") == ["Catania"]
    assert ex(g, "GEORADIUS", "missing", "15", "37", "200", "km") == []
    assert ex(g, "GEORADIUSBYMEMBER", "missing", "x", "200", "km") == []
    assert ex(g, "GEORADIUS", "Sicily", "0", "0", "1", "km") == []


def test_georadius_errors(g):
    sicily(g)
    base = ("GEORADIUS", "Sicily", "15", "37")
    assert err(g, *base, "-1", "km") == "ERR radius cannot be negative"
    assert err(g, *base, "x", "km") == "ERR need numeric radius"
    assert err(g, *base, "1", "parsec") == BADUNIT
    assert err(g, "GEORADIUS", "Sicily", "15", "95", "1", "km") == \
        "ERR invalid longitude,latitude pair 15.000000,95.000000"
    assert err(g, *base, "1", "km", "COUNT", "0") == "ERR COUNT must be > 0"
    assert err(g, *base, "1", "km", "COUNT", "x") == NOTINT
    assert err(g, *base, "1", "km", "ANY") == "ERR the ANY argument requires COUNT argument"
    assert err(g, *base, "1", "km", "BOGUS") == SYNTAX
    assert err(g, *base, "1", "km", "COUNT") == SYNTAX
    assert err(g, *base, "1", "km", "STORE", "d", "WITHDIST") == \
        "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD " \
        "options"
    assert err(g, "GEORADIUS_RO", "Sicily", "15", "37", "1", "km", "STORE", "d") == SYNTAX
    assert err(g, "GEORADIUSBYMEMBER", "Sicily", "nope", "1", "km") == \
        "ERR could not decode requested zset member"
    ex(g, "SET", "s", "x")
    assert err(g, "GEORADIUS", "s", "15", "37", "1", "km") == WRONGTYPE


def test_georadius_store(g):
    sicily(g)
    assert ex(g, "GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "dst") == 2
    assert ex(g, "ZRANGE", "dst", "0", "-1", "WITHSCORES") == \
        ["Palermo", "3479099956230698", "Catania", "3479447370796909"]
    assert ex(g, "GEORADIUS", "Sicily", "15", "37", "200", "km", "STOREDIST", "dst",
              "COUNT", "1") == 1
    assert ex(g, "ZRANGE", "dst", "0", "-1", "WITHSCORES") == ["Catania", "56.441257870158204"]
    assert ex(g, "GEORADIUSBYMEMBER", "Sicily", "Palermo", "10", "km", "STOREDIST", "d2") == 1
    assert ex(g, "ZSCORE", "d2", "Palermo") == "0"
    # an empty result deletes the destination
    assert ex(g, "GEORADIUS", "Sicily", "0", "0", "1", "km", "STORE", "dst") == 0
    assert ex(g, "EXISTS", "dst") == 0
    ex(g, "SET", "d2", "x")
    assert ex(g, "GEORADIUS", "missing", "0", "0", "1", "km", "STORE", "d2") == 0
    assert ex(g, "EXISTS", "d2") == 0


def test_geosearch(g):
    sicily(g)
    ex(g, "GEOADD", "Sicily", "12.758489", "38.788135", "edge1", "17.241510", "38.788135",
       "edge2")
    assert ex(g, "GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km",
              "ASC") == ["Catania", "Palermo"]
    assert ex(g, "GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km",
              "ASC", "WITHCOORD", "WITHDIST", "WITHHASH") == [
        ["Catania", "56.4413", 3479447370796909,
         ["15.08726745843887329", "37.50266842333162032"]],
        ["Palermo", "190.4424", 3479099956230698,
         ["13.36138933897018433", "38.11555639549629859"]],
        ["edge2", "279.7403", 3481342659049484,
         ["17.24151045083999634", "38.78813451624225195"]],
        ["edge1", "279.7405", 3479273021651468,
         ["12.7584877610206604", "38.78813451624225195"]]]
    assert ex(g, "GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km",
              "DESC", "COUNT", "2") == ["Catania", "edge1"]
    got = ex(g, "GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km",
             "COUNT", "2", "ANY")
    assert len(got) == 2
    assert ex(g, "GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "1", "1", "m") == \
        ["Palermo"]
    assert ex(g, "GEOSEARCH", "missing", "FROMMEMBER", "x", "BYRADIUS", "1", "m") == []


def test_geosearch_errors(g):
    sicily(g)
    assert err(g, "GEOSEARCH", "Sicily", "BYRADIUS", "1", "km", "ASC", "WITHDIST") == \
        "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH"
    assert err(g, "GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "ASC", "WITHDIST") == \
        "ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH"
    assert err(g, "GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "FROMMEMBER", "Palermo",
               "BYRADIUS", "1", "km") == SYNTAX
    assert err(g, "GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km",
               "BYBOX", "1", "1", "km") == SYNTAX
    assert err(g, "GEOSEARCH", "Sicily", "FROMMEMBER", "nope", "BYRADIUS", "1", "km") == \
        "ERR could not decode requested zset member"
    assert err(g, "GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "-1", "1", "km") == \
        "ERR height or width cannot be negative"
    assert err(g, "GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "w", "1", "km") == \
        "ERR need numeric width"
    assert err(g, "GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "h", "km") == \
        "ERR need numeric height"
    assert err(g, "GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km",
               "STORE", "x") == SYNTAX
    assert err(g, "GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km",
               "STOREDIST") == SYNTAX
    assert err(g, "GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1",
               "km", "WITHDIST") == \
        "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
    assert err(g, "GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km",
               "ANY") == "ERR the ANY argument requires COUNT argument"


def test_geosearchstore(g):
    sicily(g)
    assert ex(g, "GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200",
              "km") == 2
    assert ex(g, "ZRANGE", "dst", "0", "-1", "WITHSCORES") == \
        ["Palermo", "3479099956230698", "Catania", "3479447370796909"]
    assert ex(g, "GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200",
              "km", "STOREDIST", "DESC", "COUNT", "1") == 1
    assert ex(g, "ZRANGE", "dst", "0", "-1", "WITHSCORES") == ["Palermo", "190.44242984775784"]
    assert ex(g, "GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "0", "0", "BYRADIUS", "1",
              "km") == 0
    assert ex(g, "EXISTS", "dst") == 0
    ex(g, "SET", "dst", "x")
    assert ex(g, "GEOSEARCHSTORE", "dst", "missing", "FROMMEMBER", "a", "BYBOX", "1", "1",
              "km") == 0
    assert ex(g, "EXISTS", "dst") == 0


def grid(g, key, rnd, center, n):
    args = []
    for i in range(n):
        lon = max(-180.0, min(180.0, center[0] + rnd.uniform(-3, 3)))
        lat = max(-85.05, min(85.05, center[1] + rnd.uniform(-3, 3)))
        args += ["%.6f" % lon, "%.6f" % lat, "p%d" % i]
    ex(g, "GEOADD", key, *args)


@pytest.mark.parametrize("center", [(13.0, 38.0), (179.5, -20.0), (-60.0, 75.0), (0.0, 84.0)])
def test_search_matches_exact_filter(g, center):
    """Every member whose distance is within the radius comes back (the box search misses none,
    except across the antimeridian, as in Redis), nearest first."""
    rnd = random.Random(hash(center) & 0xffff)
    grid(g, "pts", rnd, center, 300)
    for radius in ("10", "75", "150", "400"):
        got = ex(g, "GEOSEARCH", "pts", "FROMLONLAT", repr(center[0]), repr(center[1]),
                 "BYRADIUS", radius, "km", "WITHDIST", "ASC")
        ex(g, "GEOADD", "pts", repr(center[0]), repr(center[1]), "__c")
        want = []
        for i in range(300):
            d = ex(g, "GEODIST", "pts", "__c", "p%d" % i, "km")
            if float(d) <= float(radius):
                want.append("p%d" % i)
        ex(g, "ZREM", "pts", "__c")
        if center[0] == 179.5:
            # Redis 7.0 does not look across the antimeridian: only the members on the centre's
            # side come back. Same counts as redis-server.
            assert set(m for m, _ in got) <= set(want)
            assert len(got) == {"10": 0, "75": 8, "150": 37, "400": 177}[radius]
        else:
            assert sorted(m for m, _ in got) == sorted(want)
        dists = [float(d) for _, d in got]
        assert dists == sorted(dists)


def test_unsorted_order_and_any(g):
    """Without ASC/DESC members come box by box in score order; ANY stops early."""
    rnd = random.Random(7)
    grid(g, "pts", rnd, (2.0, 45.0), 200)
    got = ex(g, "GEORADIUS", "pts", "2", "45", "120", "km")
    scores = [int(ex(g, "ZSCORE", "pts", m)) for m in got]
    assert len(got) > 10
    # Redis 7.0 reply for this data set (order included).
    assert got[:5] == ["p47", "p60", "p122", "p131", "p154"]
    assert scores[:5] == sorted(scores[:5])
    assert ex(g, "GEORADIUS", "pts", "2", "45", "120", "km", "COUNT", "3", "ANY") == got[:3]


def test_geo_members_work_with_zset_commands(g):
    sicily(g)
    assert ex(g, "ZREM", "Sicily", "Palermo") == 1
    assert ex(g, "GEOPOS", "Sicily", "Palermo") == [None]
    assert ex(g, "ZCARD", "Sicily") == 1
