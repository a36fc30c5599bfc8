"""Checking one record's fields: ID numbers (GB 11643), credit codes, phones, choices, tags,
dates, points. Pure functions: no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gezhi.lib.codes import credit_check_char, id_check_char
from gezhi.lib.geo import wgs84_to_gcj02
from gezhi.registry.choices import PopulationType
from gezhi.registry.validation import (
    ERROR,
    WARNING,
    choice_value,
    clean_house,
    clean_household,
    clean_organisation,
    clean_person,
    clean_unit,
    person_rules,
)


def with_check(first17: str) -> str:
    return first17 + id_check_char(first17)


ID_MALE = with_check("63262419900215003")  # Dari county, 1990-02-15, odd sequence
ID_FEMALE = with_check("32061220010101002")


def fields(cleaned, severity=ERROR):
    return [i.field for i in cleaned.issues if i.severity == severity]


# --- ID numbers: round trips -------------------------------------------------------------------

birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2024, 12, 31))
area_codes = st.from_regex(r"[1-8][0-9]{5}", fullmatch=True)
sequences = st.integers(min_value=0, max_value=999)


@given(area=area_codes, birth=birth_dates, sequence=sequences)
def test_any_valid_id_round_trips(area, birth, sequence):
    number = with_check(f"{area}{birth:%Y%m%d}{sequence:03d}")
    cleaned = clean_person({"name": "某", "id_number": number.lower()})
    assert cleaned.ok, cleaned.issues
    assert cleaned.data["id_number"] == number
    assert cleaned.data["birth_date"] == birth
    assert cleaned.data["sex"] == ("male" if sequence % 2 else "female")


@given(area=area_codes, birth=birth_dates, sequence=sequences, wrong=st.integers(1, 10))
def test_any_wrong_check_character_is_an_error(area, birth, sequence, wrong):
    first17 = f"{area}{birth:%Y%m%d}{sequence:03d}"
    right = "10X98765432".index(id_check_char(first17))
    bad = first17 + "10X98765432"[(right + wrong) % 11]
    cleaned = clean_person({"name": "某", "id_number": bad})
    assert fields(cleaned) == ["id_number"]
    assert "校验位" in cleaned.issues[0].message


@given(area=area_codes, birth=birth_dates, sequence=sequences)
def test_explicit_matching_sex_and_birth_date_are_accepted(area, birth, sequence):
    number = with_check(f"{area}{birth:%Y%m%d}{sequence:03d}")
    sex = "男" if sequence % 2 else "女"
    cleaned = clean_person(
        {"name": "某", "id_number": number, "sex": sex, "birth_date": birth.isoformat()}
    )
    assert cleaned.ok, cleaned.issues


def test_id_as_a_number_from_excel_is_refused_saying_so():
    for value in (632624199002150031, 6.32624199002150e17):
        cleaned = clean_person({"name": "某", "id_number": value})
        assert fields(cleaned) == ["id_number"]
        assert "Excel" in cleaned.issues[0].message and "15" in cleaned.issues[0].message


def test_impossible_birth_date_in_id_is_an_error():
    cleaned = clean_person({"name": "某", "id_number": with_check("63262419900230003")})
    assert fields(cleaned) == ["id_number"]
    assert "19900230" in cleaned.issues[0].message


def test_unknown_area_code_is_a_warning_not_an_error():
    unknown = with_check("81000019900215003")  # a Hong Kong residence permit
    cleaned = clean_person({"name": "某", "id_number": unknown}, known_area_codes={"632624"})
    assert cleaned.ok
    assert fields(cleaned, WARNING) == ["id_number"]
    assert "810000" in cleaned.issues[0].message
    assert (
        clean_person({"name": "某", "id_number": ID_MALE}, known_area_codes={"632624"}).issues == []
    )
    # Without a list of codes nothing is checked.
    assert clean_person({"name": "某", "id_number": unknown}).issues == []


def test_conflicting_sex_and_birth_date_name_both_values():
    cleaned = clean_person(
        {"name": "某", "id_number": ID_MALE, "sex": "女", "birth_date": "1991-02-15"}
    )
    assert sorted(fields(cleaned)) == ["birth_date", "sex"]
    messages = " ".join(i.message for i in cleaned.issues)
    assert "女" in messages and "男" in messages
    assert "1991-02-15" in messages and "1990-02-15" in messages


def test_sex_without_id_is_taken_as_given():
    assert clean_person({"name": "某", "sex": "F"}).data["sex"] == "female"
    assert clean_person({"name": "某", "sex": "1"}).data["sex"] == "male"
    assert clean_person({"name": "某"}).data["sex"] == "unknown"
    assert fields(clean_person({"name": "某", "sex": "中"})) == ["sex"]


# --- people: other fields ----------------------------------------------------------------------


def test_name_is_required_except_in_a_partial_update():
    assert fields(clean_person({})) == ["name"]
    assert fields(clean_person({"name": "  "})) == ["name"]
    assert clean_person({"phone": "13800001111"}, partial=True).ok
    assert fields(clean_person({"name": ""}, partial=True)) == ["name"]


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("13800001111", "13800001111"),
        (13800001111, "13800001111"),
        (13800001111.0, "13800001111"),
        ("+86 138 0000 1111", "13800001111"),
        ("0513-12345678", "0513-12345678"),
        ("010-87654321-123", "010-87654321-123"),
        ("12345", "12345"),
    ],
)
def test_phones_mobile_and_landline(raw, stored):
    assert clean_person({"name": "某", "phone": raw}).data["phone"] == stored


@pytest.mark.parametrize("raw", ["138", "2380000111", "0513-123", "电话"])
def test_bad_phones(raw):
    cleaned = clean_person({"name": "某", "phone": raw})
    assert fields(cleaned) == ["phone"]
    assert str(raw) in cleaned.issues[0].message and "联系电话" in cleaned.issues[0].message


@pytest.mark.parametrize(("raw", "code"), [("藏族", "04"), ("藏", "04"), ("4", "04"), ("01", "01")])
def test_ethnicity_by_code_or_name(raw, code):
    assert clean_person({"name": "某", "ethnicity": raw}).data["ethnicity"] == code


def test_unknown_ethnicity():
    cleaned = clean_person({"name": "某", "ethnicity": "火星族"})
    assert fields(cleaned) == ["ethnicity"] and "火星族" in cleaned.issues[0].message


def test_choices_by_code_or_chinese_or_english_label():
    assert choice_value(PopulationType, "流动人口") == "floating"
    for raw in ("流动人口", "floating", "FLOATING"):
        cleaned = clean_person(
            {
                "name": "某",
                "population_type": raw,
                "inflow_reason": "务工",
                "residence_type": "rented",
            }
        )
        assert cleaned.ok, cleaned.issues
        assert cleaned.data["population_type"] == "floating"
        assert cleaned.data["inflow_reason"] == "work"
    cleaned = clean_person({"name": "某", "marital_status": "复婚"})
    assert fields(cleaned) == ["marital_status"]
    assert "复婚" in cleaned.issues[0].message and "已婚" in cleaned.issues[0].message


def test_floating_person_needs_reason_and_residence_type():
    cleaned = clean_person({"name": "某", "population_type": "流动人口"})
    assert sorted(fields(cleaned)) == ["inflow_reason", "residence_type"]


def test_overseas_person_needs_nationality_and_document_not_an_id():
    cleaned = clean_person({"name": "John", "population_type": "境外人员"})
    assert sorted(fields(cleaned)) == ["document_number", "nationality"]
    cleaned = clean_person(
        {
            "name": "John",
            "population_type": "overseas",
            "nationality": "英国",
            "document_type": "护照",
            "document_number": "123456789",
            "stay_until": "2026/12/31",
        }
    )
    assert cleaned.ok and cleaned.data["stay_until"] == dt.date(2026, 12, 31)


def test_person_rules_on_a_whole_record():
    assert person_rules({"id_number": ID_FEMALE, "sex": "female"}) == []
    assert [i.field for i in person_rules({"id_number": ID_FEMALE, "sex": "male"})] == ["sex"]
    future = dt.date.today() + dt.timedelta(days=2)
    assert [i.field for i in person_rules({"birth_date": future})] == ["birth_date"]


@pytest.mark.parametrize(
    ("raw", "tags"),
    [
        ("独居老人、低保对象", ["elderly_alone", "low_income"]),
        ("独居老人，低保对象;独居老人", ["elderly_alone", "low_income"]),
        (["disabled", "留守儿童"], ["disabled", "left_behind_child"]),
        ("", []),
    ],
)
def test_tags_from_a_list_or_text(raw, tags):
    assert clean_person({"name": "某", "tags": raw}).data["tags"] == tags


def test_unknown_tag_is_named():
    cleaned = clean_person({"name": "某", "tags": "独居老人、富豪"})
    assert fields(cleaned) == ["tags"] and "富豪" in cleaned.issues[0].message


@pytest.mark.parametrize(
    "raw",
    ["2020-03-04", "2020/3/4", "2020.3.4", "2020年3月4日", "20200304", "2020-03-04 00:00:00"],
)
def test_dates_in_common_formats(raw):
    assert clean_person({"name": "某", "arrived_on": raw}).data["arrived_on"] == dt.date(2020, 3, 4)


def test_date_objects_and_bad_dates():
    assert clean_person({"name": "某", "arrived_on": dt.datetime(2020, 3, 4, 8)}).data[
        "arrived_on"
    ] == dt.date(2020, 3, 4)
    cleaned = clean_person({"name": "某", "arrived_on": "2020-02-30"})
    assert fields(cleaned) == ["arrived_on"] and "2020-02-30" in cleaned.issues[0].message
    assert fields(clean_person({"name": "某", "arrived_on": "去年"})) == ["arrived_on"]


def test_too_long_text_is_an_error():
    cleaned = clean_person({"name": "某" * 65})
    assert fields(cleaned) == ["name"]


def test_unknown_keys_and_system_fields_are_ignored():
    cleaned = clean_person({"name": "某", "yaks": 3, "grid_path": "/x/", "id": 5})
    assert cleaned.data == {"name": "某", "population_type": "registered", "sex": "unknown"}


def test_references_pass_through_stripped():
    cleaned = clean_person(
        {"name": "某", "house": " H1 ", "household": 7, "grid": "320612001001001"}
    )
    assert cleaned.data["house"] == "H1" and cleaned.data["household"] == 7


# --- houses ----------------------------------------------------------------------------------


def test_house_code_and_address_required():
    assert sorted(fields(clean_house({}))) == ["address", "code"]
    assert clean_house({"room": "301"}, partial=True).ok
    assert fields(clean_house({"code": ""}, partial=True)) == ["code"]


def test_house_numbers_from_cells():
    cleaned = clean_house(
        {"code": "H1", "address": "某路", "room": 301.0, "area_m2": "88.456", "use": "住宅"}
    )
    assert cleaned.data["room"] == "301"
    assert cleaned.data["area_m2"] == Decimal("88.46")
    assert cleaned.data["use"] == "residential"


def test_house_area_not_negative():
    cleaned = clean_house({"code": "H1", "address": "某路", "area_m2": -1})
    assert fields(cleaned) == ["area_m2"]


def test_house_point_range_and_pairs():
    base = {"code": "H1", "address": "某路"}
    assert fields(clean_house({**base, "lng": 190, "lat": 30})) == ["lng"]
    assert fields(clean_house({**base, "lng": 120, "lat": -91})) == ["lat"]
    assert fields(clean_house({**base, "lng": 120})) == ["lat"]
    assert fields(clean_house({**base, "lng": "东经", "lat": 30})) == ["lng"]
    assert clean_house({**base, "lng": "", "lat": ""}).data["lng"] is None


@pytest.mark.parametrize("crs_in", ["raw", "argument"])
def test_house_point_converted_from_gcj02(crs_in):
    lng, lat = wgs84_to_gcj02(120.1, 32.2)
    raw = {"code": "H1", "address": "某路", "lng": lng, "lat": lat}
    if crs_in == "raw":
        cleaned = clean_house({**raw, "crs": "GCJ02"})
    else:
        cleaned = clean_house(raw, crs="gcj02")
    assert abs(cleaned.data["lng"] - 120.1) < 1e-7 and abs(cleaned.data["lat"] - 32.2) < 1e-7
    assert fields(clean_house({**raw, "crs": "mars"})) == ["crs"]


def test_house_owner_id_checked():
    cleaned = clean_house({"code": "H1", "address": "某路", "owner_id_number": "123"})
    assert fields(cleaned) == ["owner_id_number"]
    assert "产权人身份证号" in cleaned.issues[0].message


# --- households, units, organisations ----------------------------------------------------------


def test_household_number_required():
    assert fields(clean_household({})) == ["number"]
    assert clean_household({"number": 1001}).data["number"] == "1001"


def with_credit_check(first17: str) -> str:
    return first17 + credit_check_char(first17)


CREDIT = with_credit_check("91320612MA1MCGXX0")


def test_unit_credit_code_and_counts():
    cleaned = clean_unit(
        {
            "name": "金沙超市",
            "credit_code": CREDIT.lower(),
            "employees": "12",
            "hazardous_chemicals": "否",
            "type": "个体工商户",
            "security_officer_phone": "0513-87654321",
        }
    )
    assert cleaned.ok, cleaned.issues
    assert cleaned.data["credit_code"] == CREDIT
    assert cleaned.data["employees"] == 12
    assert cleaned.data["hazardous_chemicals"] is False
    assert cleaned.data["type"] == "individual"


def test_unit_errors():
    cleaned = clean_unit({"credit_code": CREDIT[:-1] + "0", "employees": "-2"})
    assert sorted(fields(cleaned)) == ["credit_code", "employees", "name"]
    assert fields(clean_unit({"name": "x", "hazardous_chemicals": "也许"})) == [
        "hazardous_chemicals"
    ]
    assert fields(clean_unit({"name": "x", "credit_code": "91320612MA1MCGXXOS"})) == ["credit_code"]


def test_organisation_name_and_kind_required_credit_optional():
    assert sorted(fields(clean_organisation({}))) == ["kind", "name"]
    assert clean_organisation({"name": "党支部", "kind": "党组织"}).ok
    assert clean_organisation({"name": "党支部", "kind": "party", "credit_code": ""}).ok
    assert fields(clean_organisation({"name": "党支部", "kind": "party", "credit_code": "X"})) == [
        "credit_code"
    ]
    assert fields(clean_organisation({"name": "会", "kind": "帮会"})) == ["kind"]


def test_messages_name_the_field_in_the_language_of_the_reader():
    from django.utils import translation

    from gezhi.registry.validation import clean_house

    raw = {"code": "H1", "address": "x", "area_m2": "abc"}
    with translation.override("zh-hans"):
        assert clean_house(raw).issues[0].message.startswith("面积（平方米）")
    with translation.override("en"):
        assert clean_house(raw).issues[0].message.startswith("Area (m²)")
    with translation.override("zh-hans"):
        assert clean_house(raw).issues[0].message.startswith("面积（平方米）")
