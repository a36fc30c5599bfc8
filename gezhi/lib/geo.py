"""Coordinates: WGS-84 <-> GCJ-02 <-> BD-09 conversions and great-circle distances.

Storage is WGS-84 (CGCS2000 is the same to within centimetres); phones, WeChat and most
Chinese web maps report GCJ-02 ("Mars coordinates"), Baidu maps report BD-09. Points are
converted at the edges with the standard public algorithm:

- WGS-84 -> GCJ-02 is the published closed-form offset (Krasovsky ellipsoid constants);
  outside China (a rectangle around it, as every implementation uses) it is the identity.
- GCJ-02 -> WGS-84 has no closed form; the usual one-step inverse is off by metres, so we
  iterate the forward offset until the step is below `INVERSE_TOLERANCE_DEG`.
- GCJ-02 <-> BD-09 is Baidu's rotation and shift; the inverse is refined the same way.

Every function has a vectorised `_array` twin for batches (numpy arrays of any shape).
"""

from __future__ import annotations

import math
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

# Krasovsky 1940 ellipsoid, as in the published GCJ-02 offset.
_A = 6378245.0
_EE = 0.00669342162296594323
_BD_X_PI = math.pi * 3000.0 / 180.0

# The rectangle every public implementation treats as "China" (outside it GCJ-02 == WGS-84).
CHINA_MIN_LNG, CHINA_MAX_LNG = 72.004, 137.8347
CHINA_MIN_LAT, CHINA_MAX_LAT = 0.8293, 55.8271

# The inverses stop when one more step moves the point by less than this (about 1 mm).
INVERSE_TOLERANCE_DEG = 1e-9
_MAX_ITERATIONS = 30

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius


class Crs(StrEnum):
    """The coordinate systems a point may arrive in."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"


def out_of_china(lng: float, lat: float) -> bool:
    """True where GCJ-02 and BD-09's GCJ step leave coordinates unchanged."""
    return not (CHINA_MIN_LNG <= lng <= CHINA_MAX_LNG and CHINA_MIN_LAT <= lat <= CHINA_MAX_LAT)


def in_wgs84_range(lng: float, lat: float) -> bool:
    """Longitude in [-180, 180] and latitude in [-90, 90] (and neither is NaN)."""
    return -180.0 <= lng <= 180.0 and -90.0 <= lat <= 90.0


# --- scalar -------------------------------------------------------------------------------


def _gcj_offset(lng: float, lat: float) -> tuple[float, float]:
    """The GCJ-02 shift (degrees) at a WGS-84 point, without the out-of-China test."""
    x, y = lng - 105.0, lat - 35.0
    x_pi, y_pi = x * math.pi, y * math.pi
    common = (20.0 * math.sin(6.0 * x_pi) + 20.0 * math.sin(2.0 * x_pi)) * 2.0 / 3.0
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    d_lat += common
    d_lat += (20.0 * math.sin(y_pi) + 40.0 * math.sin(y_pi / 3.0)) * 2.0 / 3.0
    d_lat += (160.0 * math.sin(y_pi / 12.0) + 320.0 * math.sin(y_pi / 30.0)) * 2.0 / 3.0
    d_lng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    d_lng += common
    d_lng += (20.0 * math.sin(x_pi) + 40.0 * math.sin(x_pi / 3.0)) * 2.0 / 3.0
    d_lng += (150.0 * math.sin(x_pi / 12.0) + 300.0 * math.sin(x_pi / 30.0)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lng = (d_lng * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return d_lng, d_lat


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    """WGS-84 -> GCJ-02 (identity outside China)."""
    if out_of_china(lng, lat):
        return lng, lat
    d_lng, d_lat = _gcj_offset(lng, lat)
    return lng + d_lng, lat + d_lat


def gcj02_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    """GCJ-02 -> WGS-84, solved by fixed-point iteration (identity outside China)."""
    if out_of_china(lng, lat):
        return lng, lat
    w_lng, w_lat = lng, lat
    for _ in range(_MAX_ITERATIONS):
        d_lng, d_lat = _gcj_offset(w_lng, w_lat)
        err_lng, err_lat = w_lng + d_lng - lng, w_lat + d_lat - lat
        w_lng, w_lat = w_lng - err_lng, w_lat - err_lat
        if abs(err_lng) < INVERSE_TOLERANCE_DEG and abs(err_lat) < INVERSE_TOLERANCE_DEG:
            break
    return w_lng, w_lat


def gcj02_to_bd09(lng: float, lat: float) -> tuple[float, float]:
    """GCJ-02 -> BD-09 (Baidu)."""
    z = math.hypot(lng, lat) + 0.00002 * math.sin(lat * _BD_X_PI)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * _BD_X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def _bd09_to_gcj02_step(lng: float, lat: float) -> tuple[float, float]:
    x, y = lng - 0.0065, lat - 0.006
    z = math.hypot(x, y) - 0.00002 * math.sin(y * _BD_X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _BD_X_PI)
    return z * math.cos(theta), z * math.sin(theta)


def bd09_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    """BD-09 -> GCJ-02: Baidu's published inverse, refined until it round-trips."""
    g_lng, g_lat = _bd09_to_gcj02_step(lng, lat)
    for _ in range(_MAX_ITERATIONS):
        b_lng, b_lat = gcj02_to_bd09(g_lng, g_lat)
        err_lng, err_lat = b_lng - lng, b_lat - lat
        g_lng, g_lat = g_lng - err_lng, g_lat - err_lat
        if abs(err_lng) < INVERSE_TOLERANCE_DEG and abs(err_lat) < INVERSE_TOLERANCE_DEG:
            break
    return g_lng, g_lat


def wgs84_to_bd09(lng: float, lat: float) -> tuple[float, float]:
    """WGS-84 -> BD-09 (through GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lng, lat))


def bd09_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    """BD-09 -> WGS-84 (through GCJ-02)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lng, lat))


def to_wgs84(lng: float, lat: float, crs: Crs | str = Crs.WGS84) -> tuple[float, float]:
    """A point given in `crs` as WGS-84. Raises ValueError for an unknown crs."""
    crs = Crs(crs)
    if crs is Crs.GCJ02:
        return gcj02_to_wgs84(lng, lat)
    if crs is Crs.BD09:
        return bd09_to_wgs84(lng, lat)
    return float(lng), float(lat)


def haversine_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points (spherical Earth)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    d_lat = p2 - p1
    d_lng = math.radians(lng2 - lng1)
    h = math.sin(d_lat / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(d_lng / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


# --- vectorised ---------------------------------------------------------------------------


def _as_float_arrays(lng: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    x, y = np.broadcast_arrays(np.asarray(lng, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return x, y


def out_of_china_array(lng: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    x, y = _as_float_arrays(lng, lat)
    inside = (
        (x >= CHINA_MIN_LNG) & (x <= CHINA_MAX_LNG) & (y >= CHINA_MIN_LAT) & (y <= CHINA_MAX_LAT)
    )
    return ~inside


def _gcj_offset_array(lng: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    x, y = lng - 105.0, lat - 35.0
    x_pi, y_pi = x * np.pi, y * np.pi
    common = (20.0 * np.sin(6.0 * x_pi) + 20.0 * np.sin(2.0 * x_pi)) * 2.0 / 3.0
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    d_lat += common
    d_lat += (20.0 * np.sin(y_pi) + 40.0 * np.sin(y_pi / 3.0)) * 2.0 / 3.0
    d_lat += (160.0 * np.sin(y_pi / 12.0) + 320.0 * np.sin(y_pi / 30.0)) * 2.0 / 3.0
    d_lng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    d_lng += common
    d_lng += (20.0 * np.sin(x_pi) + 40.0 * np.sin(x_pi / 3.0)) * 2.0 / 3.0
    d_lng += (150.0 * np.sin(x_pi / 12.0) + 300.0 * np.sin(x_pi / 30.0)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lng = (d_lng * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return d_lng, d_lat


def wgs84_to_gcj02_array(lng: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Vectorised `wgs84_to_gcj02`."""
    x, y = _as_float_arrays(lng, lat)
    d_lng, d_lat = _gcj_offset_array(x, y)
    outside = out_of_china_array(x, y)
    return np.where(outside, x, x + d_lng), np.where(outside, y, y + d_lat)


def gcj02_to_wgs84_array(lng: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Vectorised `gcj02_to_wgs84` (iterates until every point has converged)."""
    x, y = _as_float_arrays(lng, lat)
    w_lng, w_lat = x.copy(), y.copy()
    inside = ~out_of_china_array(x, y)
    g_lng, g_lat = x[inside], y[inside]
    i_lng, i_lat = g_lng.copy(), g_lat.copy()
    for _ in range(_MAX_ITERATIONS):
        d_lng, d_lat = _gcj_offset_array(i_lng, i_lat)
        err_lng, err_lat = i_lng + d_lng - g_lng, i_lat + d_lat - g_lat
        i_lng -= err_lng
        i_lat -= err_lat
        if err_lng.size == 0 or max(np.abs(err_lng).max(), np.abs(err_lat).max()) < (
            INVERSE_TOLERANCE_DEG
        ):
            break
    w_lng[inside], w_lat[inside] = i_lng, i_lat
    return w_lng, w_lat


def gcj02_to_bd09_array(lng: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Vectorised `gcj02_to_bd09`."""
    x, y = _as_float_arrays(lng, lat)
    z = np.hypot(x, y) + 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02_array(lng: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Vectorised `bd09_to_gcj02`."""
    b_lng, b_lat = _as_float_arrays(lng, lat)
    x, y = b_lng - 0.0065, b_lat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_X_PI)
    g_lng, g_lat = z * np.cos(theta), z * np.sin(theta)
    for _ in range(_MAX_ITERATIONS):
        r_lng, r_lat = gcj02_to_bd09_array(g_lng, g_lat)
        err_lng, err_lat = r_lng - b_lng, r_lat - b_lat
        g_lng -= err_lng
        g_lat -= err_lat
        step = np.nan_to_num(np.maximum(np.abs(err_lng), np.abs(err_lat)), nan=0.0)
        if step.size == 0 or step.max() < INVERSE_TOLERANCE_DEG:
            break
    return g_lng, g_lat


def wgs84_to_bd09_array(lng: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Vectorised `wgs84_to_bd09`."""
    return gcj02_to_bd09_array(*wgs84_to_gcj02_array(lng, lat))


def bd09_to_wgs84_array(lng: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Vectorised `bd09_to_wgs84`."""
    return gcj02_to_wgs84_array(*bd09_to_gcj02_array(lng, lat))


def to_wgs84_array(
    lng: ArrayLike, lat: ArrayLike, crs: Crs | str = Crs.WGS84
) -> tuple[FloatArray, FloatArray]:
    """Vectorised `to_wgs84`."""
    crs = Crs(crs)
    if crs is Crs.GCJ02:
        return gcj02_to_wgs84_array(lng, lat)
    if crs is Crs.BD09:
        return bd09_to_wgs84_array(lng, lat)
    return _as_float_arrays(lng, lat)


def haversine_m_array(
    lng1: ArrayLike, lat1: ArrayLike, lng2: ArrayLike, lat2: ArrayLike
) -> FloatArray:
    """Vectorised `haversine_m` (the four arguments broadcast together)."""
    x1, y1, x2, y2 = (np.radians(np.asarray(v, dtype=np.float64)) for v in (lng1, lat1, lng2, lat2))
    h = np.sin((y2 - y1) / 2) ** 2 + np.cos(y1) * np.cos(y2) * np.sin((x2 - x1) / 2) ** 2
    result: FloatArray = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    return result
