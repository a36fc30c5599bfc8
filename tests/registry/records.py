"""A small register on top of the shared world, written through the services.

    grid A (worker_a, township A)  house HA1 金东路1号: household A1 of 张三 (head, 1950, ID_A1,
                                   elderly_alone + disabled), 李四 (spouse), 张小明 (child, 2015,
                                   left_behind_child); unit 金东五金店 (legal representative
                                   张三) with its Party branch
    grid B (worker_b, township A)  house HB1 金东路9号: 王五 (floating, 藏族)
    grid C (township B)            house HC1 石港路3号: household C1 of 赵六; unit 石港加油站
                                   (hazardous chemicals) with its union

Catalogue: households of the county count yaks (number, 头) and name a pasture type (choice);
people of township A say whether they own a car (yes/no).
"""

from __future__ import annotations

from dataclasses import dataclass

from gezhi.lib.codes import credit_check_char, id_check_char
from gezhi.registry.models import (
    CatalogueField,
    House,
    Household,
    Organisation,
    Person,
    Unit,
)
from gezhi.registry.services import (
    catalogue_field_create,
    house_create,
    household_create,
    organisation_create,
    person_create,
    unit_create,
)


def id_number(first17: str) -> str:
    return first17 + id_check_char(first17)


def credit_code(first17: str) -> str:
    return first17 + credit_check_char(first17)


ID_A1 = id_number("32061219500301001")  # 张三, male
ID_A2 = id_number("32061219520815002")  # 李四, female
ID_A3 = id_number("32061220150601003")  # 张小明, male
ID_B1 = id_number("54010219900101004")  # 王五, female
ID_C1 = id_number("32061219800101005")  # 赵六, male
PHONE_A1 = "13812345678"
CREDIT_A = credit_code("91320612MA1AAAAA1")
CREDIT_C = credit_code("91320612MA1CCCCC1")


@dataclass
class Records:
    house_a: House
    house_b: House
    house_c: House
    household_a: Household
    household_c: Household
    zhang: Person
    li: Person
    xiaoming: Person
    wang: Person
    zhao: Person
    unit_a: Unit
    unit_c: Unit
    org_a: Organisation
    org_c: Organisation
    yaks: CatalogueField
    pasture: CatalogueField
    car: CatalogueField


def make_records(world) -> Records:
    yaks = catalogue_field_create(
        actor=None,
        region=world.county,
        kind="household",
        key="yaks",
        label="牦牛",
        type="number",
        unit="头",
    )
    pasture = catalogue_field_create(
        actor=None,
        region=world.county,
        kind="household",
        key="pasture_type",
        label="草场类型",
        type="choice",
        choices=["冬春草场", "夏秋草场"],
    )
    car = catalogue_field_create(
        actor=None,
        region=world.township_a,
        kind="person",
        key="has_car",
        label="有私家车",
        type="boolean",
    )
    house_a = house_create(
        actor=None,
        data={"code": "HA1", "address": "金东路1号", "lng": 120.1, "lat": 32.2, "use": "住宅"},
    )
    house_b = house_create(
        actor=None,
        data={"code": "HB1", "address": "金东路9号", "lng": 120.3, "lat": 32.2, "use": "商业"},
    )
    house_c = house_create(
        actor=None,
        data={"code": "HC1", "address": "石港路3号", "lng": 120.7, "lat": 32.2, "use": "住宅"},
    )
    household_a = household_create(
        actor=None,
        data={"number": "A1", "house": "HA1"},
        extra={"yaks": 40, "pasture_type": "冬春草场"},
    )
    household_c = household_create(
        actor=None, data={"number": "C1", "house": "HC1"}, extra={"yaks": 3}
    )
    zhang = person_create(
        actor=None,
        data={
            "name": "张三",
            "id_number": ID_A1,
            "phone": PHONE_A1,
            "house": "HA1",
            "household": "A1",
            "relation_to_head": "户主",
            "ethnicity": "汉族",
            "tags": ["elderly_alone", "disabled"],
        },
        extra={"has_car": True},
    )
    li = person_create(
        actor=None,
        data={
            "name": "李四",
            "id_number": ID_A2,
            "house": "HA1",
            "household": "A1",
            "relation_to_head": "配偶",
            "ethnicity": "汉族",
        },
        extra={"has_car": False},
    )
    xiaoming = person_create(
        actor=None,
        data={
            "name": "张小明",
            "id_number": ID_A3,
            "house": "HA1",
            "household": "A1",
            "relation_to_head": "子女",
            "tags": ["left_behind_child"],
        },
    )
    wang = person_create(
        actor=None,
        data={
            "name": "王五",
            "id_number": ID_B1,
            "phone": "13987654321",
            "house": "HB1",
            "population_type": "floating",
            "inflow_reason": "work",
            "residence_type": "rented",
            "ethnicity": "藏族",
        },
    )
    zhao = person_create(
        actor=None,
        data={
            "name": "赵六",
            "id_number": ID_C1,
            "house": "HC1",
            "household": "C1",
            "relation_to_head": "户主",
        },
    )
    unit_a = unit_create(
        actor=None,
        data={
            "name": "金东五金店",
            "credit_code": CREDIT_A,
            "type": "individual",
            "house": "HA1",
            "legal_representative": "张三",
            "legal_representative_id_number": ID_A1,
            "phone": "051312345678",
            "employees": 3,
        },
    )
    unit_c = unit_create(
        actor=None,
        data={
            "name": "石港加油站",
            "credit_code": CREDIT_C,
            "type": "enterprise",
            "house": "HC1",
            "hazardous_chemicals": True,
            "employees": 12,
        },
    )
    org_a = organisation_create(
        actor=None, data={"name": "金东五金店党支部", "kind": "party", "unit": CREDIT_A}
    )
    org_c = organisation_create(
        actor=None, data={"name": "石港加油站工会", "kind": "union", "unit": CREDIT_C}
    )
    for record in (household_a, household_c, zhang):
        record.refresh_from_db()
    return Records(
        house_a=house_a,
        house_b=house_b,
        house_c=house_c,
        household_a=household_a,
        household_c=household_c,
        zhang=zhang,
        li=li,
        xiaoming=xiaoming,
        wang=wang,
        zhao=zhao,
        unit_a=unit_a,
        unit_c=unit_c,
        org_a=org_a,
        org_c=org_c,
        yaks=yaks,
        pasture=pasture,
        car=car,
    )
