import math

import numpy as np
import pytest
from fast_geocn import coord as reference
from hypothesis import given
from hypothesis import strategies as st

from gezhi.lib import geo

# Points well inside the "China" rectangle, so neither the point nor its shifted image
# (a few hundred metres away) crosses the rectangle's edge, where both directions pass through.
china_lng = st.floats(min_value=73.0, max_value=135.0, allow_nan=False)
china_lat = st.floats(min_value=3.0, max_value=53.0, allow_nan=False)


# Published example values of the standard algorithm (wandergis/coordtransform's README and
# googollee/eviltransform's tests); they are reproduced to the last digit.
@pytest.mark.parametrize(
    "lng, lat, expected",
    [
        (116.404, 39.915, (116.41024449916938, 39.91640428150164)),
        (121.5272106, 31.1774276, (121.531541859215, 31.17530398364597)),
        (113.912316, 22.543847, (113.9171764808363, 22.540796131694766)),
        (116.377817, 39.911954, (116.38404722455657, 39.91334545536069)),
    ],
)
def test_wgs84_to_gcj02_matches_published_values(lng, lat, expected):
    assert geo.wgs84_to_gcj02(lng, lat) == pytest.approx(expected, abs=1e-12)


def test_gcj02_to_bd09_matches_published_value():
    assert geo.gcj02_to_bd09(116.404, 39.915) == pytest.approx(
        (116.41036949371029, 39.92133699351021), abs=1e-12
    )


def test_bd09_to_gcj02_refines_the_published_one_step_inverse():
    # The published one-step result is about 4 cm off; ours is refined until it round-trips.
    published = (116.39762729119315, 39.90865673957631)
    assert geo.bd09_to_gcj02(116.404, 39.915) == pytest.approx(published, abs=1e-6)
    forward_of_published = geo.gcj02_to_bd09(*published)
    assert forward_of_published != pytest.approx((116.404, 39.915), abs=1e-7)
    assert geo.gcj02_to_bd09(*geo.bd09_to_gcj02(116.404, 39.915)) == pytest.approx(
        (116.404, 39.915), abs=1e-10
    )


def test_the_iterative_inverse_beats_the_one_step_inverse():
    one_step = (116.39775550083061, 39.91359571849836)  # published gcj02towgs84(116.404, 39.915)
    ours = geo.gcj02_to_wgs84(116.404, 39.915)
    assert geo.wgs84_to_gcj02(*ours) == pytest.approx((116.404, 39.915), abs=1e-9)
    forward_of_one_step = geo.wgs84_to_gcj02(*one_step)
    assert max(abs(forward_of_one_step[0] - 116.404), abs(forward_of_one_step[1] - 39.915)) > 1e-7


@given(china_lng, china_lat)
def test_forward_offset_agrees_with_fast_geocn(lng, lat):
    assert geo.wgs84_to_gcj02(lng, lat) == pytest.approx(
        reference.wgs84_to_gcj02(lng, lat), abs=1e-11
    )


@given(china_lng, china_lat)
def test_inverse_agrees_with_fast_geocn_within_its_accuracy(lng, lat):
    # fast_geocn stops after five steps; ours iterates to convergence.
    assert geo.gcj02_to_wgs84(lng, lat) == pytest.approx(
        reference.gcj02_to_wgs84(lng, lat), abs=1e-6
    )


@given(china_lng, china_lat)
def test_gcj02_round_trip_is_below_1e7_degrees(lng, lat):
    back = geo.gcj02_to_wgs84(*geo.wgs84_to_gcj02(lng, lat))
    assert back == pytest.approx((lng, lat), abs=1e-7)
    forward = geo.wgs84_to_gcj02(*geo.gcj02_to_wgs84(lng, lat))
    assert forward == pytest.approx((lng, lat), abs=1e-7)


@given(china_lng, china_lat)
def test_bd09_round_trip_is_below_1e7_degrees(lng, lat):
    assert geo.bd09_to_wgs84(*geo.wgs84_to_bd09(lng, lat)) == pytest.approx((lng, lat), abs=1e-7)
    assert geo.bd09_to_gcj02(*geo.gcj02_to_bd09(lng, lat)) == pytest.approx((lng, lat), abs=1e-7)


@given(china_lng, china_lat)
def test_shift_is_a_few_hundred_metres(lng, lat):
    g = geo.wgs84_to_gcj02(lng, lat)
    b = geo.wgs84_to_bd09(lng, lat)
    assert 1 < geo.haversine_m(lng, lat, *g) < 1500
    assert 1 < geo.haversine_m(lng, lat, *b) < 2500


@pytest.mark.parametrize("lng, lat", [(2.3522, 48.8566), (-74.006, 40.7128), (151.2, -33.9)])
def test_outside_china_passes_through(lng, lat):
    assert geo.out_of_china(lng, lat)
    assert geo.wgs84_to_gcj02(lng, lat) == (lng, lat)
    assert geo.gcj02_to_wgs84(lng, lat) == (lng, lat)
    assert geo.to_wgs84(lng, lat, "gcj02") == (lng, lat)
    x, y = geo.gcj02_to_wgs84_array([lng], [lat])
    assert (x[0], y[0]) == (lng, lat)


def test_inside_china_is_shifted():
    assert not geo.out_of_china(120.6, 32.0)
    assert geo.wgs84_to_gcj02(120.6, 32.0) != (120.6, 32.0)


def test_to_wgs84_dispatches_on_crs():
    g = geo.wgs84_to_gcj02(120.6, 32.0)
    b = geo.wgs84_to_bd09(120.6, 32.0)
    assert geo.to_wgs84(120.6, 32.0) == (120.6, 32.0)
    assert geo.to_wgs84(*g, crs="gcj02") == pytest.approx((120.6, 32.0), abs=1e-9)
    assert geo.to_wgs84(*b, crs=geo.Crs.BD09) == pytest.approx((120.6, 32.0), abs=1e-9)
    with pytest.raises(ValueError):
        geo.to_wgs84(120.6, 32.0, "utm")


def test_arrays_match_the_scalar_functions():
    rng = np.random.default_rng(7)
    lng = np.concatenate([rng.uniform(73, 135, 2000), [2.35, -74.0, 140.0]])
    lat = np.concatenate([rng.uniform(3, 53, 2000), [48.85, 40.7, 20.0]])
    pairs = [
        (geo.wgs84_to_gcj02, geo.wgs84_to_gcj02_array),
        (geo.gcj02_to_wgs84, geo.gcj02_to_wgs84_array),
        (geo.gcj02_to_bd09, geo.gcj02_to_bd09_array),
        (geo.bd09_to_gcj02, geo.bd09_to_gcj02_array),
        (geo.wgs84_to_bd09, geo.wgs84_to_bd09_array),
        (geo.bd09_to_wgs84, geo.bd09_to_wgs84_array),
    ]
    for scalar, vector in pairs:
        xs, ys = vector(lng, lat)
        expected = np.array([scalar(x, y) for x, y in zip(lng, lat, strict=True)])
        np.testing.assert_allclose(xs, expected[:, 0], rtol=0, atol=1e-9, err_msg=scalar.__name__)
        np.testing.assert_allclose(ys, expected[:, 1], rtol=0, atol=1e-9, err_msg=scalar.__name__)
    for crs in geo.Crs:
        xs, ys = geo.to_wgs84_array(lng[:50], lat[:50], crs)
        expected = np.array(
            [geo.to_wgs84(x, y, crs) for x, y in zip(lng[:50], lat[:50], strict=True)]
        )
        np.testing.assert_allclose(np.column_stack([xs, ys]), expected, rtol=0, atol=1e-9)


def test_arrays_keep_nan_and_terminate():
    xs, ys = geo.gcj02_to_wgs84_array([np.nan, 120.6], [32.0, np.nan])
    assert np.isnan(xs[0]) and np.isnan(ys[1])
    xs, ys = geo.bd09_to_wgs84_array([np.nan, 120.6], [32.0, 32.0])
    assert np.isnan(xs[0]) and not np.isnan(xs[1])
    xs, ys = geo.gcj02_to_wgs84_array([], [])
    assert xs.shape == (0,)


def test_haversine_known_distances():
    one_degree = math.pi * geo.EARTH_RADIUS_M / 180
    assert geo.haversine_m(120.0, 32.0, 120.0, 33.0) == pytest.approx(one_degree)
    assert geo.haversine_m(0.0, 0.0, 1.0, 0.0) == pytest.approx(one_degree)
    assert geo.haversine_m(0.0, 0.0, 180.0, 0.0) == pytest.approx(math.pi * geo.EARTH_RADIUS_M)
    assert geo.haversine_m(120.6, 32.0, 120.6, 32.0) == 0.0
    # Beijing (Tiananmen) to Shanghai (the Bund): about 1,067 km on the sphere.
    assert geo.haversine_m(116.3975, 39.9087, 121.4906, 31.2397) == pytest.approx(1.067e6, rel=0.01)


@given(china_lng, china_lat, china_lng, china_lat)
def test_haversine_is_symmetric_and_the_array_form_agrees(x1, y1, x2, y2):
    d = geo.haversine_m(x1, y1, x2, y2)
    assert d == pytest.approx(geo.haversine_m(x2, y2, x1, y1))
    assert d >= 0
    assert float(geo.haversine_m_array([x1], [y1], [x2], [y2])[0]) == pytest.approx(d, abs=1e-6)


def test_wgs84_range():
    assert geo.in_wgs84_range(180.0, -90.0)
    assert not geo.in_wgs84_range(180.1, 0.0)
    assert not geo.in_wgs84_range(0.0, float("nan"))
