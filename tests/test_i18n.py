"""The English interface is complete: every catalog entry translated with its placeholders,
the committed .mo matches the .po, the catalog matches the source, no Chinese interface text
escapes gettext, and pages and API answers come out in English when English is asked for."""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

from gezhi.accounts.models import User
from gezhi.core.errors import InvalidInput
from gezhi.lib.codes import region_code_error
from gezhi.regions.geometry import parse_boundary
from gezhi.regions.models import Department, Region
from tests.conftest import PASSWORD

PACKAGE = Path(__file__).resolve().parent.parent / "gezhi"
PO_PATH = PACKAGE / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
CJK = re.compile(r"[\u4e00-\u9fff]")


# --- a tiny .po reader (polib is not a dependency) ------------------------------------------


@dataclass
class Entry:
    line: int
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def label(self) -> str:
        return f"line {self.line}: {self.msgid!r}"


def _unquote(text: str) -> str:
    # PO string escapes (\" \\ \n \t) are Python's too.
    return ast.literal_eval(text)


def parse_po(text: str) -> list[Entry]:
    """The entries of a .po file, header included (msgid ""), in file order."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None

    def start(number: int) -> Entry:
        nonlocal entry
        if entry is None:
            entry = Entry(line=number)
        return entry

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            if entry is not None:
                entries.append(entry)
            entry, target = None, None
            continue
        if line.startswith("#~"):
            start(number).obsolete = True
            continue
        if line.startswith("#,"):
            start(number).flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            start(number)
            continue
        keyword, _, rest = line.partition(" ")
        current = start(number)
        if keyword == "msgctxt":
            current.msgctxt, target = _unquote(rest), ("msgctxt", 0)
        elif keyword == "msgid":
            current.msgid, target = _unquote(rest), ("msgid", 0)
        elif keyword == "msgid_plural":
            current.msgid_plural, target = _unquote(rest), ("msgid_plural", 0)
        elif keyword.startswith("msgstr"):
            index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
            current.msgstr[index] = _unquote(rest)
            target = ("msgstr", index)
        elif line.startswith('"') and target is not None:
            name, index = target
            if name == "msgstr":
                current.msgstr[index] += _unquote(line)
            else:
                setattr(current, name, (getattr(current, name) or "") + _unquote(line))
        else:
            raise AssertionError(f"{PO_PATH.name} line {number}: cannot read {raw!r}")
    if entry is not None:
        entries.append(entry)
    return entries


def catalog(path: Path = PO_PATH) -> list[Entry]:
    """The translatable entries (no header, no obsolete ones)."""
    return [e for e in parse_po(path.read_text(encoding="utf-8")) if e.msgid and not e.obsolete]


def untranslated(entries: list[Entry]) -> list[str]:
    problems = []
    for entry in entries:
        if "fuzzy" in entry.flags:
            problems.append(f"{entry.label} is marked fuzzy")
        elif not entry.msgstr or any(not text.strip() for text in entry.msgstr.values()):
            problems.append(f"{entry.label} has no translation")
        elif entry.msgid_plural is not None and sorted(entry.msgstr) != [0, 1]:
            problems.append(f"{entry.label} needs msgstr[0] and msgstr[1]")
    return problems


# --- (a) every entry translated ---------------------------------------------------------------


def test_the_catalog_reader_sees_every_entry():
    text = PO_PATH.read_text(encoding="utf-8")
    entries = catalog()
    assert len(entries) == len(re.findall(r"^msgid ", text, re.M)) - 1  # minus the header
    assert len(entries) > 300


def test_the_catalog_reader_reports_an_empty_and_a_fuzzy_entry():
    text = (
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
        'msgid "区域"\nmsgstr ""\n\n'
        '#, fuzzy, python-format\nmsgid "%(n)s 个"\nmsgstr "%(n)s items"\n\n'
        'msgid "已结束"\nmsgstr ""\n"Ended"\n'
    )
    entries = [e for e in parse_po(text) if e.msgid]
    assert [e.msgstr[0] for e in entries] == ["", "%(n)s items", "Ended"]
    problems = untranslated(entries)
    assert len(problems) == 2
    assert "'区域' has no translation" in problems[0]
    assert "'%(n)s 个' is marked fuzzy" in problems[1]


def test_every_entry_is_translated_and_none_is_fuzzy():
    header = parse_po(PO_PATH.read_text(encoding="utf-8"))[0]
    assert header.msgid == "" and "fuzzy" not in header.flags
    assert "Language: en" in header.msgstr[0]
    problems = untranslated(catalog())
    assert not problems, "untranslated entries in django.po:\n" + "\n".join(problems)


# --- (b) placeholders -------------------------------------------------------------------------

PRINTF = re.compile(r"%(?:\([^)]+\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[sdifgeExXrca%]")
BRACE = re.compile(r"\{[^{}]*\}")
TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def placeholders(text: str) -> Counter:
    return Counter(PRINTF.findall(text) + BRACE.findall(text) + TAG.findall(text))


def test_placeholders_are_found():
    found = placeholders("%(n)d 个，%(area).0f 平方米 %s {code} {lng:.7f} {value!r} 100%% <b>x</b>")
    assert set(found) == {
        "%(n)d",
        "%(area).0f",
        "%s",
        "{code}",
        "{lng:.7f}",
        "{value!r}",
        "%%",
        "<b>",
        "</b>",
    }


def test_each_translation_keeps_the_placeholders_of_its_source():
    problems = []
    for entry in catalog():
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        expected = placeholders(sources[-1])
        if placeholders(sources[0]) != expected:
            problems.append(f"{entry.label}: msgid and msgid_plural differ")
        for index, text in sorted(entry.msgstr.items()):
            if text and placeholders(text) != expected:
                problems.append(
                    f"{entry.label}: msgstr[{index}] has {sorted(placeholders(text).elements())}, "
                    f"the source has {sorted(expected.elements())}"
                )
    assert not problems, "\n".join(problems)


# --- (c) the committed .mo is the compiled .po --------------------------------------------------


def test_the_mo_holds_every_translation_of_the_po():
    with open(MO_PATH, "rb") as stream:
        compiled = gettext.GNUTranslations(stream)
    assert compiled.info().get("content-type", "").lower().endswith("charset=utf-8")
    stale = []
    for entry in catalog():
        if entry.msgid_plural is not None:
            got = {
                0: compiled.ngettext(entry.msgid, entry.msgid_plural, 1),
                1: compiled.ngettext(entry.msgid, entry.msgid_plural, 2),
            }
        elif entry.msgctxt is not None:
            got = {0: compiled.pgettext(entry.msgctxt, entry.msgid)}
        else:
            got = {0: compiled.gettext(entry.msgid)}
        if got != entry.msgstr:
            stale.append(f"{entry.label}: the .mo has {got!r}, the .po {entry.msgstr!r}")
    assert not stale, "django.mo is out of date: run `make messages`\n" + "\n".join(stale)


# --- the catalog matches the source -----------------------------------------------------------


@pytest.mark.skipif(not shutil.which("xgettext"), reason="needs GNU gettext (xgettext)")
def test_the_catalog_has_every_string_of_the_source(tmp_path):
    """Extract again into a copy of the package: nothing new, nothing changed, nothing stale."""
    copy = tmp_path / "gezhi"
    shutil.copytree(
        PACKAGE,
        copy,
        ignore=shutil.ignore_patterns("__pycache__", "vendor", "*.mo", "*.pyc"),
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "en", "--no-obsolete"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
    )
    fresh = catalog(copy / "locale" / "en" / "LC_MESSAGES" / "django.po")
    committed = {(e.msgctxt, e.msgid) for e in catalog()}
    extracted = {(e.msgctxt, e.msgid) for e in fresh}
    new = sorted(msgid for _, msgid in extracted - committed)
    gone = sorted(msgid for _, msgid in committed - extracted)
    assert not new and not gone, (
        f"django.po is behind the source (run `make messages` and translate): "
        f"new {new}, no longer used {gone}"
    )
    assert not untranslated(fresh)


# --- no Chinese interface text outside gettext -------------------------------------------------

GETTEXT_CALLS = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}
# Data, not interface: names a user types or a file carries, kept as written in every language.
DATA_STRINGS = {
    # column headers and level names accepted in import files
    "regions/importexport.py": {"代码", "名称", "上级代码", "层级", "启用日期", "停用日期"},
    "lib/codes.py": {"省", "市", "县（区）", "乡镇（街道）", "村（社区）", "片区", "网格"},
    # the audit log keeps its reasons in the deployment's language, whoever's browser asked
    "accounts/backends.py": {"登录失败次数过多"},
    # yes/no words accepted in catalogue values typed in forms and import files
    "registry/catalogue.py": {"是", "有", "否", "无"},
}
DATA_FILES = (
    "web/demo/",  # the demo's place names and people's names
    "lib/ethnicity.py",  # GB/T 3304 names of the ethnic groups (its own English table beside)
)
DATA_PREFIXES = {  # English help that quotes the demo's county names
    "web/management/commands/demo.py": ("Seed the demo deployment (", "达日县 only"),
}


def _call_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def unwrapped_python(source: str, relative: str) -> list[str]:
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        if not CJK.search(node.value) or id(node) in docstrings:
            continue
        if node.value in DATA_STRINGS.get(relative, ()):
            continue
        if node.value.startswith(DATA_PREFIXES.get(relative, ())):
            continue
        ancestor = node
        while ancestor in parents and not isinstance(ancestor, ast.stmt):
            ancestor = parents[ancestor]
            if isinstance(ancestor, ast.Call) and _call_name(ancestor.func) in GETTEXT_CALLS:
                break
        else:
            found.append(f"{relative}:{node.lineno}: {node.value!r}")
    return found


TEMPLATE_TRANSLATED = re.compile(
    r"\{%\s*blocktrans(?:late)?\b.*?\{%\s*endblocktrans(?:late)?\s*%\}"
    r"|\{%\s*trans(?:late)?\s.*?%\}"
    r"|_\((['\"]).*?\1\)"
    r"|\{#.*?#\}|\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}",
    re.S,
)


def unwrapped_template(source: str, relative: str) -> list[str]:
    rest = TEMPLATE_TRANSLATED.sub("", source)
    return [
        f"{relative}:{number}: {line.strip()[:80]!r}"
        for number, line in enumerate(rest.splitlines(), start=1)
        if CJK.search(line)
    ]


def test_the_scan_finds_unwrapped_text_and_passes_wrapped_text():
    python = (
        '"""文档字符串不算。"""\n'
        "from django.utils.translation import gettext as _\n"
        'A = _("已翻译")\n'
        'B = "未翻译"\n'
        'C = f"区域 {1} 不存在"\n'
        'D = _("%(n)s 个") % {"n": 1}\n'
    )
    assert [hit.split(": ", 1)[1] for hit in unwrapped_python(python, "x.py")] == [
        "'未翻译'",
        "'区域 '",
        "' 不存在'",
    ]
    template = (
        '{% translate "首页" %}{% blocktranslate with n=1 %}{{ n }} 个{% endblocktranslate %}\n'
        '{% include "x.html" with label=_("名称") %}{# 注释 #}\n'
        "<p>未翻译</p>\n"
    )
    assert unwrapped_template(template, "x.html") == ["x.html:3: '<p>未翻译</p>'"]


def test_no_chinese_interface_text_escapes_gettext():
    found = []
    for path in sorted(PACKAGE.rglob("*")):
        relative = path.relative_to(PACKAGE).as_posix()
        if "migrations" in path.parts or "vendor" in path.parts or relative.startswith(DATA_FILES):
            continue
        if path.suffix == ".py":
            found += unwrapped_python(path.read_text(encoding="utf-8"), relative)
        elif path.suffix in (".html", ".txt"):
            found += unwrapped_template(path.read_text(encoding="utf-8"), relative)
        elif path.suffix == ".js":
            found += [
                f"{relative}:{number}: {line.strip()[:80]!r}"
                for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if CJK.search(line) and not line.strip().startswith(("//", "/*", "*"))
            ]
    assert not found, "Chinese text not wrapped in a translation function:\n" + "\n".join(found)


# --- (d) pages and API answers in English ----------------------------------------------------


class VisibleText(HTMLParser):
    """Text a reader sees or hears: text nodes and labelling attributes, minus script/style.
    Text inside an element marked with another language (the switcher's 简体中文) is left out."""

    ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "data-error")

    def __init__(self):
        super().__init__()
        self.pieces: list[str] = []
        self.stack: list[tuple[str, bool]] = []

    def _other_language(self) -> bool:
        return any(other for _, other in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        other = bool(attrs.get("lang")) and not attrs["lang"].startswith("en")
        if tag not in ("br", "input", "img", "meta", "link", "hr"):
            self.stack.append((tag, other or tag in ("script", "style")))
        if not (other or self._other_language()):
            self.pieces += [attrs[name] for name in self.ATTRIBUTES if attrs.get(name)]

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if data.strip() and not self._other_language():
            self.pieces.append(data.strip())


def chinese_interface_text(html: str) -> list[str]:
    """Visible text that still holds Chinese once the data (names of regions, departments
    and people) is taken out."""
    parser = VisibleText()
    parser.feed(html)
    data = set(Region.objects.values_list("name", flat=True))
    data |= set(Department.objects.values_list("name", flat=True))
    data |= {str(user) for user in User.objects.all()}
    leftovers = []
    for piece in parser.pieces:
        for name in sorted(data, key=len, reverse=True):
            piece = piece.replace(name, "")
        if CJK.search(piece):
            leftovers.append(piece)
    return leftovers


def english_client(user=None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_visible_text_check_finds_chinese_and_passes_data(world):
    html = (
        '<p title="区域树">Regions</p><p>金沙街道 · Township</p><script>var a = "脚本";</script>'
        '<select><option lang="zh-hans">简体中文</option></select><p>未翻译</p>'
    )
    assert chinese_interface_text(html) == ["区域树", "未翻译"]


def test_login_page_in_english(db):
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get("/login/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert "Log in to Gezhi" in html and "Username" in html and "Password" in html
    assert chinese_interface_text(html) == []


def test_login_in_english_then_the_region_browser_is_english(world):
    client = Client()
    client.cookies["django_language"] = "en"
    response = client.post(
        "/login/", {"username": world.county_manager.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    response = client.get("/regions/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Regions and grids" in html and "Region tree" in html
    assert "Find by name or code" in html and "County (district)" in html
    assert world.county.name in html  # data stays as it is
    assert chinese_interface_text(html) == []


def test_wrong_password_message_in_english(world):
    response = english_client().post(
        "/login/", {"username": world.county_manager.username, "password": "wrong"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Please enter a correct username and password" in html
    assert chinese_interface_text(html) == []


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/", 200),
        ("/regions/?q=320612", 200),
        ("/regions/320612/", 200),
        ("/regions/320612001/children/", 200),
        ("/regions/320612001001001/", 200),
        ("/password/", 200),
        ("/regions/999999/", 404),
    ],
)
def test_pages_in_english(world, url, status):
    response = english_client(world.county_manager).get(url)
    assert response.status_code == status
    assert chinese_interface_text(response.content.decode()) == []


def test_region_page_in_english_names_the_grid_worker_and_levels(world):
    html = english_client(world.county_manager).get(f"/regions/{world.grid_a.code}/").content
    html = html.decode()
    assert "Grid worker" in html and "Primary" in html and "In charge of this grid since" in html


def test_the_language_switcher_sets_english(world):
    client = Client()
    client.force_login(world.county_manager)
    assert "区域树" in client.get("/regions/").content.decode()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/regions/"})
    assert response.status_code == 302
    html = client.get("/regions/").content.decode()
    assert "Region tree" in html and "区域树" not in html
    assert '<option value="zh-hans" lang="zh-hans">简体中文</option>' in html


def test_api_error_message_in_english(world):
    client = english_client(world.county_manager)
    response = client.get("/api/v1/regions/999999/")
    assert response.status_code == 404
    assert response.json()["detail"] == "Region 999999 does not exist"
    response = client.get("/api/v1/regions/locate/", {"lng": "east", "lat": "32.1"})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Parameter lng is not a number",
        "code": "invalid",
        "field": "lng",
    }


def test_api_error_message_in_chinese_by_default(world):
    client = Client()
    client.force_login(world.county_manager)
    response = client.get("/api/v1/regions/999999/")
    assert response.json()["detail"] == "区域 999999 不存在"


def test_api_validation_message_in_english(world):
    """A service's message that nests another one (the boundary check inside a redraw)."""
    response = english_client(world.admin).post(
        "/api/v1/redraws/",
        {
            "kind": "replace",
            "old_grids": [world.grid_a.code],
            "new_grids": [
                {
                    "code": "320612001001009",
                    "name": "x",
                    "boundary": {"type": "Point", "coordinates": [120.1, 32.1]},
                }
            ],
        },
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert response.json()["detail"] == (
        "New grid 320612001001009: The boundary must be a Polygon or MultiPolygon, not Point"
    )


def test_code_and_boundary_checks_speak_english():
    with translation.override("en"):
        assert region_code_error("3206120010", "township") == (
            "Township (sub-district) codes have 9 digits; '3206120010' has 10"
        )
        with pytest.raises(InvalidInput) as caught:
            parse_boundary({"type": "Point", "coordinates": [120, 32]})
        assert caught.value.message == "The boundary must be a Polygon or MultiPolygon, not Point"
    with translation.override("zh-hans"):
        assert region_code_error("3206120010", "township") == (
            "乡镇（街道）代码应为 9 位数字，'3206120010' 是 10 位"
        )


@pytest.mark.parametrize(
    ("headers", "query", "description", "lng"),
    [
        ({"HTTP_ACCEPT_LANGUAGE": "en"}, {}, "REST API of Gezhi", "Longitude"),
        ({}, {"lang": "en"}, "REST API of Gezhi", "Longitude"),
        ({}, {}, "格治 网格化社会治理平台", "经度"),
    ],
)
def test_api_schema_follows_the_language(world, headers, query, description, lng):
    client = Client(**headers)
    client.force_login(world.admin)
    response = client.get("/api/schema/", {**query, "format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["description"].startswith(description)
    parameters = schema["paths"]["/api/v1/regions/locate/"]["get"]["parameters"]
    assert {p["name"]: p.get("description") for p in parameters}["lng"] == lng


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/regions/region/",
        "/admin/regions/department/",
        "/admin/regions/gridassignment/",
        "/admin/accounts/user/",
        "/admin/accounts/membership/",
    ],
)
def test_admin_in_english(world, url):
    world.admin.is_staff = True
    world.admin.save(update_fields=["is_staff"])
    response = english_client(world.admin).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Gezhi administration" in html
    assert chinese_interface_text(html) == []


def test_admin_change_pages_in_english(world):
    world.admin.is_staff = True
    world.admin.save(update_fields=["is_staff"])
    client = english_client(world.admin)
    for url in (
        f"/admin/regions/region/{world.grid_a.pk}/change/",
        f"/admin/accounts/user/{world.worker_a.pk}/change/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert chinese_interface_text(response.content.decode()) == [], url
