"""Families for the demo's population: who lives together, their ages, names, identity
numbers and the rest of a person's record, and the special groups they belong to.

A family is composed first (relations and ages: a head, a spouse a few years apart, children
born when their mother was 21-36, the head's parents a generation older), then each member
gets a birth date that fits the age, an identity number that fits the birth date and sex,
and a name in the style of the place (a Han family shares the father's surname).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gezhi.registry.choices import (
    Education,
    InflowReason,
    MaritalStatus,
    PersonTag,
    PoliticalStatus,
    PopulationType,
    RelationToHead,
    ResidenceType,
    Sex,
)
from gezhi.registry.models import Household, Person
from gezhi.web.demo.identities import HUI_SURNAMES, REFERENCE_DAY, Names, Numbers, birth_date_for
from gezhi.web.demo.localities import HOME_TOWNS, Locality, Origin
from gezhi.web.demo.places import CountyPlan

if TYPE_CHECKING:
    from gezhi.web.demo.population import Place

HEAD, SPOUSE, CHILD = RelationToHead.HEAD, RelationToHead.SPOUSE, RelationToHead.CHILD
PARENT, GRANDCHILD = RelationToHead.PARENT, RelationToHead.GRANDCHILD
CHILD_IN_LAW = RelationToHead.CHILD_IN_LAW
MALE, FEMALE = Sex.MALE, Sex.FEMALE

# Household compositions and how common each is, by the kind of place.
FAMILY_KINDS = {
    "han_urban": {
        "alone": 7,
        "elderly_couple": 13,
        "single": 7,
        "couple": 10,
        "nuclear": 40,
        "three_up": 10,
        "three_down": 13,
    },
    "han_rural": {
        "alone": 10,
        "elderly_couple": 17,
        "single": 3,
        "couple": 5,
        "nuclear": 25,
        "three_up": 8,
        "three_down": 17,
        "left_behind": 10,
        "mother_kids": 5,
    },
    "tibetan": {
        "alone": 3,
        "elderly_couple": 5,
        "single": 2,
        "couple": 6,
        "nuclear": 40,
        "three_up": 20,
        "three_down": 24,
    },
    "floating": {"single": 45, "couple": 20, "floating_family": 35},
}


INFLOW_REASONS = {
    InflowReason.WORK: 62,
    InflowReason.BUSINESS: 25,
    InflowReason.FAMILY: 7,
    InflowReason.MEDICAL: 1,
    InflowReason.OTHER: 5,
}
RESIDENCE_TYPES = {
    ResidenceType.RENTED: 80,
    ResidenceType.EMPLOYER: 10,
    ResidenceType.RELATIVES: 6,
    ResidenceType.OWN: 4,
}


# Foreign residents of 通州区, engineers at its textile firms and family: (name as in the
# passport, Chinese name, sex, age, nationality, passport number prefix and digits, purpose).
OVERSEAS_COUPLE = (
    ("KIM MINJUN", "金敏俊", MALE, 41, "韩国", "M", 8, "工作"),
    ("LEE SEOYEON", "李瑞妍", FEMALE, 38, "韩国", "M", 8, "随任"),
)
OVERSEAS_SINGLE = (("SATO KENTA", "佐藤健太", MALE, 35, "日本", "TR", 7, "工作"),)


def pick(rng: random.Random, weights: dict[str, float]) -> str:
    """One key of `weights`, drawn in proportion to its weight."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def pick_pair(rng: random.Random, pairs: tuple[tuple[str, float], ...]) -> str:
    """The first of one (value, weight) pair, drawn in proportion to its weight."""
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


@dataclass
class Member:
    """A member of a family being composed: relation to the head, sex and age."""

    relation: str
    sex: str
    age: int


@dataclass
class Family:
    """A household and its members, where they live and where they come from."""

    household: Household
    members: list[Person]
    kind: str
    place: Place
    origin: Origin | None = None  # where a floating family comes from

    @property
    def floating(self) -> bool:
        return self.origin is not None


class FamilyMaker:
    """Makes the families of one county, drawing from the county's random generator."""

    def __init__(
        self, *, rng: random.Random, plan: CountyPlan, locality: Locality, numbers: Numbers
    ):
        self.rng = rng
        self.plan = plan
        self.locality = locality
        self.numbers = numbers
        self.names = {
            "han": Names(rng, "han", locality.surnames or "王李张刘陈杨赵黄周吴"),
            "hui": Names(rng, "han", HUI_SURNAMES),
            "tsang": Names(rng, "tsang", ""),
            "amdo": Names(rng, "amdo", ""),
        }

    def name(self, sex: str, birth_year: int) -> str:
        """A name in the county's own style."""
        return self.names[self.locality.names].name(sex, birth_year)

    def household(self, place: Place) -> Household:
        """A new household in the grid, numbered after the grid's code."""
        place.households += 1
        return Household(
            number=f"{place.grid.code}{place.households:04d}",
            grid=place.grid,
            grid_path=place.grid.path,
        )

    def family_style(self, place: Place, origin: Origin | None) -> str:
        """Which mix of household compositions applies (a key of FAMILY_KINDS)."""
        if origin is not None:
            return "floating"
        if self.locality.names != "han":
            return "tibetan"
        return "han_urban" if place.locale == "urban" else "han_rural"

    def compose(self, kind: str) -> list[Member]:
        """The members of a household of `kind`, with ages that fit their relations."""
        rng = self.rng
        r = rng.randint

        def couple(age: int) -> list[Member]:
            if rng.random() < 0.92:
                return [Member(HEAD, MALE, age), Member(SPOUSE, FEMALE, max(18, age - r(-2, 5)))]
            return [Member(HEAD, FEMALE, age), Member(SPOUSE, MALE, age + r(-2, 5))]

        def children(mother_age: int, count: int, relation=CHILD, youngest=0) -> list[Member]:
            kids = []
            for _ in range(count):
                age = mother_age - r(21, 36)
                if age >= youngest:
                    kids.append(Member(relation, rng.choice((MALE, FEMALE)), age))
            return kids

        def mother(members: list[Member]) -> int:
            return next(m.age for m in members if m.sex == FEMALE and m.relation in (HEAD, SPOUSE))

        def how_many() -> int:
            return rng.choices((1, 2, 3, 4), weights=self.locality.children)[0]

        if kind == "alone":
            return [Member(HEAD, FEMALE if rng.random() < 0.6 else MALE, r(62, 92))]
        if kind == "elderly_couple":
            return couple(r(60, 84))
        if kind == "single":
            return [Member(HEAD, MALE if rng.random() < 0.6 else FEMALE, r(19, 45))]
        if kind == "couple":
            return couple(r(23, 36))
        if kind in ("nuclear", "floating_family"):
            members = couple(r(27, 50) if kind == "nuclear" else r(25, 42))
            return members + children(mother(members), how_many())
        if kind == "three_up":  # a couple, their children and the head's parents
            members = couple(r(30, 50))
            members += children(mother(members), how_many())
            gap = r(22, 34)
            for sex in rng.choice(((MALE, FEMALE), (FEMALE,), (MALE,))):
                members.append(Member(PARENT, sex, min(98, members[0].age + gap + r(-2, 3))))
            return members
        if kind == "three_down":  # an older couple, their son's family and grandchildren
            members = couple(r(52, 72))
            son = max(20, mother(members) - r(22, 32))
            members.append(Member(CHILD, MALE, son))
            wife = max(20, son - r(-1, 4))
            members.append(Member(CHILD_IN_LAW, FEMALE, wife))
            return members + children(wife, how_many(), relation=GRANDCHILD)
        if kind == "left_behind":  # grandparents with grandchildren; the parents work away
            members = couple(r(52, 74)) if rng.random() < 0.7 else [Member(HEAD, FEMALE, r(52, 74))]
            count = r(1, 3)
            return members + [
                Member(GRANDCHILD, rng.choice((MALE, FEMALE)), r(1, 14)) for _ in range(count)
            ]
        if kind == "mother_kids":  # the husband works away
            age = r(26, 42)
            kids = [k for k in children(age, r(1, 2)) if k.age < 16]
            return [Member(HEAD, FEMALE, age)] + (
                kids or [Member(CHILD, rng.choice((MALE, FEMALE)), r(2, min(12, age - 21)))]
            )
        raise ValueError(kind)

    def family(self, place: Place, origin: Origin | None) -> Family:
        """A household living in `place`: registered here, or floating from `origin`."""
        rng = self.rng
        style = self.family_style(place, origin)
        kind = pick(rng, FAMILY_KINDS[style])
        members = self.compose(kind)
        name_style = origin.names if origin else self.locality.names
        names = self.names[name_style]
        if origin is not None:
            ethnicity = {"han": "01", "hui": "03"}.get(origin.names, "04")
            if origin.code == "630225" and rng.random() < 0.5:
                ethnicity = "35"  # 撒拉族, from 循化
        else:
            ethnicity = pick_pair(rng, self.locality.ethnicities)
        surname = names.surname() if name_style in ("han", "hui") else ""
        household = self.household(place)
        if origin is not None:
            # What the whole floating family shares: where they are registered, why and
            # when they came, where they live.
            town, village = rng.choice(HOME_TOWNS), rng.choice(HOME_TOWNS)
            home = f"{origin.place}{town}镇{village}村{rng.randint(1, 12)}组"
            arrived = REFERENCE_DAY - dt.timedelta(days=rng.randint(30, 6 * 365))
            reason = pick(rng, INFLOW_REASONS)
            residence = pick(rng, RESIDENCE_TYPES)
        people = []
        for member in members:
            birth = birth_date_for(rng, member.age)
            name = names.name(
                member.sex,
                birth.year,
                surname=surname if carries_surname(member, members) else None,
            )
            if origin is not None:
                area = origin.code
            elif member.relation in (SPOUSE, CHILD_IN_LAW) and rng.random() < 0.25:
                area = rng.choice(self.locality.neighbours).code
            else:
                area = self.plan.code
            person = Person(
                id_number=self.numbers.id_number(area, birth, member.sex),
                name=name,
                sex=member.sex,
                birth_date=birth,
                ethnicity=ethnicity,
                relation_to_head=member.relation,
                household=household,
                grid=place.grid,
                grid_path=place.grid.path,
                tags=[],
            )
            self.describe(person, member, place, kind, origin, members)
            if origin is not None:
                person.population_type = PopulationType.FLOATING
                if member.age >= 18 or member.relation == HEAD:
                    person.inflow_reason = reason
                elif member.age >= 6 and rng.random() < 0.5:
                    person.inflow_reason = InflowReason.STUDY
                else:
                    person.inflow_reason = InflowReason.FAMILY  # came with their parents
                person.residence_type = residence
                person.arrived_on = max(arrived, birth)
                person.registered_region_code = origin.code
                person.registered_address = home
            else:
                person.population_type = PopulationType.REGISTERED
                person.registered_region_code = place.village.code
            people.append(person)
        family = Family(household, people, kind, place, origin)
        self.tag(family)
        return family

    def describe(
        self,
        person: Person,
        member: Member,
        place: Place,
        kind: str,
        origin: Origin | None,
        members: list[Member],
    ) -> None:
        """Phone, marital and political status, education, occupation and religion."""
        rng = self.rng
        age = member.age
        tibetan = (origin.names if origin else self.locality.names) in ("tsang", "amdo")
        if age >= 16:
            has_phone = 0.97 if age < 70 else (0.6 if age < 80 else 0.3)
            if rng.random() < has_phone:
                person.phone = self.numbers.mobile()
        has_spouse = any(m.relation == SPOUSE for m in members)
        if age < 16:
            person.marital_status = ""
        elif (
            (member.relation in (HEAD, SPOUSE) and has_spouse)
            or (member.relation == HEAD and kind == "mother_kids")
            or member.relation == CHILD_IN_LAW
            or (member.relation == CHILD and any(m.relation == CHILD_IN_LAW for m in members))
        ):
            person.marital_status = MaritalStatus.MARRIED
        elif member.relation == HEAD and kind in ("alone", "left_behind"):
            person.marital_status = (
                MaritalStatus.WIDOWED if rng.random() < 0.85 else MaritalStatus.DIVORCED
            )
        elif member.relation == PARENT:
            together = len([m for m in members if m.relation == PARENT]) == 2
            person.marital_status = MaritalStatus.MARRIED if together else MaritalStatus.WIDOWED
        else:
            person.marital_status = (
                MaritalStatus.UNMARRIED
                if age < 30 or rng.random() < 0.5
                else MaritalStatus.DIVORCED
            )
        # Political status
        if age < 14:
            person.political_status = ""
        else:
            party = 0.05 + (0.05 if member.sex == MALE and age >= 45 else 0.0)
            roll = rng.random()
            if age >= 18 and roll < party:
                person.political_status = PoliticalStatus.CPC_MEMBER
            elif age >= 18 and roll < party + 0.004:
                person.political_status = PoliticalStatus.CPC_PROBATIONARY
            elif age <= 28 and roll < 0.4:
                person.political_status = PoliticalStatus.CYL_MEMBER
            else:
                person.political_status = PoliticalStatus.MASSES
        person.education = self.education(age, place, tibetan, origin)
        person.occupation = self.occupation(age, place, tibetan, origin)
        if age >= 18:
            religions = self.locality.religions
            if origin is not None:
                religions = {
                    "hui": (("伊斯兰教", 1.0),),
                    "han": (("", 0.95), ("佛教", 0.05)),
                }.get(origin.names, (("藏传佛教", 1.0),))
            person.religion = pick_pair(rng, religions)

    def education(self, age: int, place: Place, tibetan: bool, origin: Origin | None) -> str:
        """A child's school (6-11 primary, 12-14 junior, 15-17 senior); an adult's highest
        level, by generation and place."""
        if age < 6:
            return ""
        if age < 12:
            return Education.PRIMARY
        if age < 15:
            return Education.JUNIOR
        if age < 18:
            return Education.SENIOR
        year = REFERENCE_DAY.year - age
        era = 0 if year < 1960 else (1 if year < 1990 else 2)
        E = Education
        if tibetan and place.locale != "urban":
            table = (
                {E.NONE: 80, E.PRIMARY: 20},
                {E.NONE: 40, E.PRIMARY: 40, E.JUNIOR: 15, E.SENIOR: 5},
                {E.PRIMARY: 25, E.JUNIOR: 40, E.SENIOR: 17, E.COLLEGE: 12, E.BACHELOR: 6},
            )
        elif place.locale == "urban" and origin is None and not tibetan:
            table = (
                {E.NONE: 15, E.PRIMARY: 30, E.JUNIOR: 30, E.SENIOR: 20, E.COLLEGE: 5},
                {
                    E.PRIMARY: 5,
                    E.JUNIOR: 30,
                    E.SENIOR: 30,
                    E.COLLEGE: 15,
                    E.BACHELOR: 18,
                    E.POSTGRADUATE: 2,
                },
                {E.JUNIOR: 10, E.SENIOR: 25, E.COLLEGE: 25, E.BACHELOR: 35, E.POSTGRADUATE: 5},
            )
        else:
            table = (
                {E.NONE: 35, E.PRIMARY: 40, E.JUNIOR: 20, E.SENIOR: 5},
                {E.PRIMARY: 20, E.JUNIOR: 50, E.SENIOR: 20, E.COLLEGE: 7, E.BACHELOR: 3},
                {E.JUNIOR: 30, E.SENIOR: 35, E.COLLEGE: 20, E.BACHELOR: 15},
            )
        return pick(self.rng, table[era])

    def occupation(self, age: int, place: Place, tibetan: bool, origin: Origin | None) -> str:
        """What someone does, by age and place; floating adults mostly work or trade."""
        rng = self.rng
        if age < 6:
            return "学龄前儿童"
        if age < 18 or (age < 22 and rng.random() < 0.4):
            return "学生"
        if origin is not None:
            return pick(
                rng,
                {
                    "工人": 35,
                    "建筑工人": 15,
                    "快递员": 8,
                    "餐饮服务人员": 12,
                    "个体经营": 22,
                    "保洁员": 8,
                },
            )
        if place.locale == "urban":
            if age >= 60:
                return "退休人员" if not tibetan else "无"
            return pick(
                rng,
                {
                    "企业职工": 35,
                    "个体经营": 15,
                    "机关事业单位人员": 12,
                    "自由职业": 10,
                    "务工": 12,
                    "无业": 6,
                    "教师": 5,
                    "医护人员": 5,
                },
            )
        farming = self.locality.farming
        if age >= 70:
            return farming if rng.random() < 0.5 else "无"
        if tibetan:
            return pick(rng, {farming: 85, "务工": 8, "个体经营": 4, "手工业者": 3})
        return pick(rng, {farming: 45, "务工": 35, "个体经营": 12, "企业职工": 8})

    def tag(self, family: Family) -> None:
        """Special groups (特殊人群) and key care, at plausible rates."""
        rng = self.rng
        members = family.members
        ages = [age_of(p) for p in members]
        rural = family.place.locale != "urban"
        if not family.floating:
            if family.kind == "alone" and ages[0] >= 60:
                members[0].tags.append(PersonTag.ELDERLY_ALONE)
                if rural and rng.random() < 0.12:
                    members[0].tags.append(PersonTag.EXTREME_POVERTY)
                if ages[0] >= 80:
                    members[0].tags.append(PersonTag.KEY_CARE)
            if family.kind == "elderly_couple" and min(ages) >= 60:
                for person in members:
                    person.tags.append(PersonTag.EMPTY_NEST)
            if family.kind == "left_behind":
                for person, age in zip(members, ages, strict=True):
                    if person.relation_to_head == GRANDCHILD and age < 16:
                        person.tags.append(PersonTag.LEFT_BEHIND_CHILD)
                        if rng.random() < 0.2:
                            person.tags.append(PersonTag.KEY_CARE)
                    elif age >= 60:
                        person.tags.append(PersonTag.LEFT_BEHIND_ELDERLY)
            if family.kind == "mother_kids" and rural:
                members[0].tags.append(PersonTag.LEFT_BEHIND_WOMAN)
            low_income = self.locality.low_income * (1.0 if rural else 0.7)
            if family.kind == "alone":
                low_income *= 3
            if rng.random() < low_income:
                for person in members:
                    person.tags.append(PersonTag.LOW_INCOME)
        for person, age in zip(members, ages, strict=True):
            if rng.random() < (0.045 if age >= 65 else 0.012):
                person.tags.append(PersonTag.DISABLED)
                if PersonTag.LOW_INCOME in person.tags and PersonTag.KEY_CARE not in person.tags:
                    person.tags.append(PersonTag.KEY_CARE)
            if person.sex == MALE and 30 <= age <= 80 and rng.random() < 0.03:
                person.tags.append(PersonTag.VETERAN)
            if age >= 18:
                roll = rng.random()
                if roll < 0.002:
                    person.tags.append(PersonTag.MENTAL_ILLNESS)
                elif roll < 0.0026 and age < 60:
                    person.tags.append(PersonTag.COMMUNITY_CORRECTION)
                elif roll < 0.0034 and age < 65:
                    person.tags.append(PersonTag.RELEASED_PRISONER)

    def overseas_family(self, place: Place, *, couple: bool) -> Family:
        """Foreign residents (engineers at 通州区's textile firms), with passports."""
        rng = self.rng
        household = self.household(place)
        spec = OVERSEAS_COUPLE if couple else OVERSEAS_SINGLE
        arrived = REFERENCE_DAY - dt.timedelta(days=rng.randint(200, 900))
        people = []
        for index, (name, chinese, sex, age, nationality, prefix, digits, purpose) in enumerate(
            spec
        ):
            passport = f"{prefix}{rng.randrange(10**digits):0{digits}d}"
            people.append(
                Person(
                    name=name,
                    sex=sex,
                    birth_date=birth_date_for(rng, age),
                    phone=self.numbers.mobile(),
                    marital_status=MaritalStatus.MARRIED
                    if len(spec) > 1
                    else MaritalStatus.UNMARRIED,
                    education=Education.BACHELOR,
                    occupation="技术顾问" if purpose == "工作" else "",
                    relation_to_head=HEAD if index == 0 else SPOUSE,
                    household=household,
                    population_type=PopulationType.OVERSEAS,
                    nationality=nationality,
                    document_type="护照",
                    document_number=passport,
                    stay_purpose=purpose,
                    arrived_on=arrived,
                    stay_until=REFERENCE_DAY + dt.timedelta(days=rng.randint(180, 720)),
                    notes=f"中文姓名：{chinese}",
                    grid=place.grid,
                    grid_path=place.grid.path,
                    tags=[],
                )
            )
        return Family(household, people, "overseas", place)


def carries_surname(member: Member, members: list[Member]) -> bool:
    """Whether a Han family member has the family's surname (the father's line)."""
    husband_married_in = any(m.relation == SPOUSE and m.sex == MALE for m in members)
    if member.relation == HEAD:
        return not husband_married_in
    if member.relation in (SPOUSE, PARENT):
        return member.sex == MALE
    return member.relation in (CHILD, GRANDCHILD)


def age_of(person: Person) -> int:
    """Full years on the reference day."""
    birth = person.birth_date
    if birth is None:
        return 0
    return (
        REFERENCE_DAY.year
        - birth.year
        - ((REFERENCE_DAY.month, REFERENCE_DAY.day) < (birth.month, birth.day))
    )
