"""Import and export pages of the registers (/registry/import/).

The import is two steps, as on the command line: the upload is checked (a dry run) and the
page lists every problem, with the xlsx report to download; a confirm button then imports,
all or nothing (or, when asked, the rows without errors). The file is kept between the two
steps under `var/imports/`, named by a random token held in the user's session, and deleted
once imported (or after a day). Uploads are checked for size (`GEZHI_IMPORT_MAX_MB`) and type
(xlsx by its zip signature, CSV as UTF-8 or GBK text).

The import runs in the request: a county's 100,000 people take seconds, not minutes
(bench/import_people.py); the page shows 正在导入 while it runs.
"""

from __future__ import annotations

import io
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gezhi.accounts.roles import Action
from gezhi.accounts.scoping import user_scope
from gezhi.core.errors import DomainError, NotFound
from gezhi.core.importexport import FileError, ImportResult, decode_text, write_error_report
from gezhi.regions.models import Region
from gezhi.registry.importexport import KINDS, export_records, import_kind, write_template
from gezhi.registry.importexport.exporting import EXPORT_FORMATS

SESSION_KEY = "registry_imports"
KEPT_UPLOADS = 5  # per session
UPLOAD_LIFETIME = 24 * 3600  # seconds
ERRORS_SHOWN = 200
XLSX_SIGNATURE = b"PK\x03\x04"
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def upload_dir() -> Path:
    folder = Path(settings.VAR_DIR) / "imports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def max_upload_bytes() -> int:
    return int(getattr(settings, "GEZHI_IMPORT_MAX_MB", 20)) * 1024 * 1024


def _require(user, action: str) -> None:
    if user_scope(user, action).empty:
        raise PermissionDenied(_("您没有导入或导出登记数据的权限"))


def _kind_or_404(name: str):
    kind = KINDS.get(name)
    if kind is None:
        raise Http404(_("没有这种数据"))
    return kind


def kind_choices() -> list[tuple[str, str]]:
    return [(name, kind.title) for name, kind in KINDS.items()]


# --- the upload ---------------------------------------------------------------------------


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("数据类型"), choices=kind_choices)
    file = forms.FileField(
        label=gettext_lazy("文件"),
        help_text=gettext_lazy("xlsx 或 CSV（UTF-8 或 GBK）；表头用模板中的列名"),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = max_upload_bytes()
        if upload.size > limit:
            raise forms.ValidationError(
                _("文件有 {size:.1f} MB，超过上限 {limit} MB").format(
                    size=upload.size / 1024 / 1024, limit=limit // 1024 // 1024
                )
            )
        suffix = Path(upload.name).suffix.lower()
        upload.seek(0)
        head = upload.read(8192)
        upload.seek(0)
        if suffix == ".xlsx":
            if not head.startswith(XLSX_SIGNATURE):
                raise forms.ValidationError(
                    _("这不是有效的 xlsx 文件（请在 Excel 中另存为 .xlsx）")
                )
        elif suffix == ".csv":
            if head.startswith(XLSX_SIGNATURE) or b"\x00" in head:
                raise forms.ValidationError(_("这不是文本格式的 CSV 文件"))
            try:
                decode_text(upload.read())
            except FileError as exc:
                raise forms.ValidationError(str(exc)) from None
            finally:
                upload.seek(0)
        else:
            raise forms.ValidationError(_("只接受 .xlsx 或 .csv 文件"))
        return upload


def _forget_old_uploads() -> None:
    cutoff = time.time() - UPLOAD_LIFETIME
    for path in upload_dir().iterdir():
        try:
            if path.stat().st_mtime >= cutoff:
                continue
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        except FileNotFoundError:
            pass


def _store(request, kind: str, upload) -> dict[str, Any]:
    """Keep the upload for the confirm step; the session holds its token."""
    _forget_old_uploads()
    token = secrets.token_urlsafe(18)
    # Kept under its own name (the audit log and the report name the file), in a folder of
    # its own.
    name = Path(upload.name).name.replace("\x00", "")[-120:] or f"upload{Path(upload.name).suffix}"
    folder = upload_dir() / token
    folder.mkdir(mode=0o700)
    path = folder / name
    with open(path, "xb") as stream:
        for chunk in upload.chunks():
            stream.write(chunk)
    path.chmod(0o600)
    entry = {
        "token": token,
        "kind": kind,
        "name": name,
        "path": str(path),
        "user": request.user.pk,
        "at": timezone.now().isoformat(),
    }
    uploads = [u for u in request.session.get(SESSION_KEY, []) if u["token"] != token]
    for stale in uploads[KEPT_UPLOADS - 1 :]:
        _discard(stale)
    request.session[SESSION_KEY] = [entry, *uploads[: KEPT_UPLOADS - 1]]
    return entry


def _upload(request, token: str) -> dict[str, Any]:
    """The upload the session holds under `token` (404 for any other)."""
    for entry in request.session.get(SESSION_KEY, []):
        if (
            token
            and secrets.compare_digest(entry["token"], token)
            and entry["user"] == request.user.pk
            and Path(entry["path"]).is_file()
        ):
            return entry
    raise Http404(_("上传的文件已过期，请重新上传"))


def _discard(entry: dict[str, Any]) -> None:
    _report_path(entry).unlink(missing_ok=True)
    shutil.rmtree(Path(entry["path"]).parent, ignore_errors=True)


def _report_path(entry: dict[str, Any]) -> Path:
    return upload_dir() / f"{entry['token']}.report.xlsx"


def _run(entry: dict[str, Any], user, **options) -> ImportResult:
    kind = KINDS[entry["kind"]]
    result = import_kind(kind, Path(entry["path"]), actor=user, **options)
    if result.errors or result.warnings:
        write_error_report(result.errors, _report_path(entry), result.warnings)
    else:
        _report_path(entry).unlink(missing_ok=True)
    return result


def _page(request, *, form=None, entry=None, result=None, confirmed=False, status=200):
    user = request.user
    import_scope = user_scope(user, Action.REGISTRY_IMPORT)
    context = {
        "form": form or UploadForm(),
        "kinds": [
            {
                "name": name,
                "title": kind.title,
                "template_url": reverse("registry-import-template", kwargs={"kind": name}),
                "export_url": reverse("registry-export", kwargs={"kind": name}),
            }
            for name, kind in KINDS.items()
        ],
        "may_export": not user_scope(user, Action.REGISTRY_EXPORT).empty,
        "max_mb": max_upload_bytes() // 1024 // 1024,
        "entry": entry,
        "result": result,
        "confirmed": confirmed,
        "everywhere": import_scope.everywhere,
    }
    if result is not None:
        accepted = result.created + result.updated + result.unchanged
        context.update(
            errors=result.errors[:ERRORS_SHOWN],
            more_errors=max(0, len(result.errors) - ERRORS_SHOWN),
            warnings=result.warnings[:ERRORS_SHOWN],
            more_warnings=max(0, len(result.warnings) - ERRORS_SHOWN),
            accepted=accepted,
            kind_title=KINDS[entry["kind"]].title,
            has_report=bool(result.errors or result.warnings),
        )
    return render(request, "registry/import.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request):
    """GET: the upload form, templates and exports. POST: the upload, checked (dry run)."""
    _require(request.user, Action.REGISTRY_IMPORT)
    if request.method == "GET":
        return _page(request)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    entry = _store(request, form.cleaned_data["kind"], form.cleaned_data["file"])
    result = _run(entry, request.user, dry_run=True)
    return _page(
        request, form=UploadForm(initial={"kind": entry["kind"]}), entry=entry, result=result
    )


@login_required
@require_POST
def import_confirm(request):
    """Import the checked upload for real (checked again: the data may have changed)."""
    _require(request.user, Action.REGISTRY_IMPORT)
    entry = _upload(request, request.POST.get("token", ""))
    skip_invalid = request.POST.get("skip_invalid") == "1"
    try:
        result = _run(entry, request.user, skip_invalid=skip_invalid)
    except DomainError as exc:
        result = ImportResult()
        result.errors = []
        form = UploadForm(initial={"kind": entry["kind"]})
        form.add_error(None, exc.message)
        return _page(request, form=form, entry=entry, result=result, status=409)
    if result.written or not result.errors:
        _discard(entry)
        request.session[SESSION_KEY] = [
            u for u in request.session.get(SESSION_KEY, []) if u["token"] != entry["token"]
        ]
    return _page(
        request,
        form=UploadForm(initial={"kind": entry["kind"]}),
        entry=entry,
        result=result,
        confirmed=True,
    )


@login_required
@require_GET
def import_report(request):
    """The xlsx report of the last check of an upload (行号 / 列 / 值 / 错误, and 提示)."""
    _require(request.user, Action.REGISTRY_IMPORT)
    entry = _upload(request, request.GET.get("token", ""))
    path = _report_path(entry)
    if not path.is_file():
        raise Http404(_("这个文件没有错误报告"))
    name = _("错误报告-{name}.xlsx").format(name=Path(entry["name"]).stem)
    return FileResponse(
        open(path, "rb"), as_attachment=True, filename=name, content_type=CONTENT_TYPES["xlsx"]
    )


# --- templates and exports ------------------------------------------------------------------


def _region_param(request, action: str) -> Region | None:
    """The `region` asked for, if the user's scope for `action` reaches into it; 404 if not."""
    code = (request.GET.get("region") or request.POST.get("region") or "").strip()
    if not code:
        return None
    region = Region.objects.filter(code=code).first()
    scope = user_scope(request.user, action)
    if region is None or not (
        scope.covers(region.path) or any(p.startswith(region.path) for p in scope.paths)
    ):
        raise Http404(_("区域 {code} 不存在").format(code=code))
    return region


@login_required
@require_GET
def import_template(request, kind: str):
    """The xlsx template of a kind, with the catalogue's columns for the user's region (or
    for `?region=CODE`)."""
    _require(request.user, Action.REGISTRY_IMPORT)
    spec = _kind_or_404(kind)
    region = _region_param(request, Action.REGISTRY_IMPORT)
    buffer = io.BytesIO()
    write_template(spec, buffer, actor=request.user, region=region)
    response = HttpResponse(buffer.getvalue(), content_type=CONTENT_TYPES["xlsx"])
    name = _("{title}导入模板.xlsx").format(title=spec.title)
    response["Content-Disposition"] = _attachment(name)
    return response


def _attachment(name: str) -> str:
    from urllib.parse import quote

    return f"attachment; filename*=UTF-8''{quote(name)}"


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label=gettext_lazy("格式"),
        choices=[("xlsx", "Excel (xlsx)"), ("csv", "CSV (UTF-8)")],
        initial="xlsx",
    )
    reveal = forms.BooleanField(label=gettext_lazy("导出完整的身份证号和电话"), required=False)
    reason = forms.CharField(label=gettext_lazy("事由"), max_length=200, required=False)

    def clean(self):
        data = super().clean()
        if data.get("reveal") and not (data.get("reason") or "").strip():
            self.add_error("reason", _("导出完整个人信息须填写事由"))
        return data


# List parameters that are not filters.
NOT_FILTERS = frozenset({"page", "sort", "format", "reveal", "reason", "csrfmiddlewaretoken"})


def _filters(query) -> dict[str, Any]:
    return {k: query.get(k) for k in query if k not in NOT_FILTERS and query.get(k) != ""}


@login_required
@require_http_methods(["GET", "POST"])
def export_page(request, kind: str):
    """GET: what will be exported (the list's filter), format, and the reveal with a reason.
    POST: the file (audited)."""
    _require(request.user, Action.REGISTRY_EXPORT)
    spec = _kind_or_404(kind)
    region = _region_param(request, Action.REGISTRY_EXPORT)
    may_reveal = not user_scope(request.user, Action.PERSONAL_DATA_REVEAL).empty
    query = request.POST if request.method == "POST" else request.GET
    filters = _filters(query)
    if request.method == "GET":
        form = ExportForm()
    else:
        form = ExportForm(request.POST)
        if form.is_valid() and (not form.cleaned_data["reveal"] or may_reveal):
            return _export_response(request, spec, region, filters, form.cleaned_data)
        if form.is_valid():
            form.add_error("reveal", _("您没有查看完整个人信息的权限"))
    return render(
        request,
        "registry/import_export.html",
        {
            "form": form,
            "kind": spec,
            "region": region,
            "filters": filters,
            "may_reveal": may_reveal,
            "list_url": _list_url(spec),
        },
        status=200 if request.method == "GET" else 400,
    )


def _list_url(spec) -> str | None:
    from django.urls import NoReverseMatch

    try:
        return reverse(f"registry-{spec.record_kind}-list")
    except NoReverseMatch:
        return None


def _export_response(request, spec, region, filters, data) -> HttpResponse:
    fmt = data["format"] if data["format"] in EXPORT_FORMATS else "xlsx"
    buffer = io.BytesIO()
    list_filters = {k: v for k, v in filters.items() if k != "region"}
    if region is not None:
        list_filters["region"] = region.code
    try:
        export_records(
            spec,
            buffer,
            fmt=fmt,
            region=region.code if region else None,
            actor=request.user,
            reveal=bool(data["reveal"]),
            reason=data.get("reason") or "",
            filters=list_filters or None,
        )
    except NotFound as exc:
        raise Http404(exc.message) from None
    except DomainError as exc:
        raise PermissionDenied(exc.message) from None
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(buffer.getvalue(), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = _attachment(f"{spec.title}-{stamp}.{fmt}")
    response["Cache-Control"] = "no-store"
    return response
