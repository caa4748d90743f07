"""The admin's import and export of the reference lists (违法行为目录, 中队, users) through
django-import-export: a preview, then a confirmed import in one transaction, each write in the
history under the admin's name; a bad row is named in Chinese and nothing is written."""

import datetime
import io
import re
import zipfile

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from brigade import locks
from brigade.models import Unit, User
from enforcement.models import Violation, ViolationType
from tests.conftest import login, make_xlsx


def _url(model, view):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}")


def preview(client, model, rows, name="名单.xlsx"):
    upload = make_xlsx(rows)
    upload.name = name
    response = client.post(_url(model, "import"), {"import_file": upload, "format": "0", "resource": "0"})
    assert response.status_code == 200
    return response


def confirm(client, model, response):
    form = response.context.get("confirm_form")
    assert form is not None, "the preview offers no confirmation"
    return client.post(_url(model, "process_import"), form.initial)


def page(response) -> str:
    return response.content.decode()


@pytest.fixture
def as_admin(admin_user):
    return login(admin_user)


# ── 违法行为目录 ─────────────────────────────────────────────────────────────────────────────────


def test_violation_types_preview_then_confirm_adds_and_regroups(as_admin, admin_user):
    rows = [["名称", "统计分组", "排序"], ["驾驶拼装车", "", 200], [" 超速 ", "超载超员", 3]]
    response = preview(as_admin, ViolationType, rows)
    text = page(response)
    assert "驾驶拼装车" in text and "新增" in text and "更新" in text
    assert not ViolationType.objects.filter(name="驾驶拼装车").exists()  # a preview writes nothing
    assert ViolationType.objects.get(name="超速").group == ""

    done = confirm(as_admin, ViolationType, response)
    assert done.status_code == 302
    assert ViolationType.objects.get(name="驾驶拼装车").ordering == 200
    regrouped = ViolationType.objects.get(name="超速")  # the spaces around a name are not part of it
    assert regrouped.group == "超载超员" and not ViolationType.objects.filter(name__contains=" ").exists()
    last = regrouped.history.first()
    assert last.history_user == admin_user and last.history_change_reason == "系统管理导入：名单.xlsx"
    assert LogEntry.objects.filter(user=admin_user).count() == 2  # and the admin's own log, row by row


def test_a_bad_group_is_named_in_chinese_and_nothing_is_imported(as_admin):
    rows = [["名称", "统计分组", "排序"], ["驾驶拼装车", "", 200], ["飙车", "危险驾驶", 201]]
    response = preview(as_admin, ViolationType, rows)
    text = page(response)
    assert response.context.get("confirm_form") is None
    assert "「危险驾驶」不是可选值，可选：酒醉驾、超载超员、不戴头盔、涉牌涉证" in text
    assert 'field-label">统计分组<' in text and "飙车" in text  # the error under the column's header
    assert not ViolationType.objects.filter(name__in=["驾驶拼装车", "飙车"]).exists()


def test_a_file_without_the_key_column_is_refused_in_one_sentence(as_admin):
    response = preview(as_admin, ViolationType, [["违法行为", "排序"], ["驾驶拼装车", "第一"]])
    text = page(response)
    assert "文件缺少「名称」列，没有导入任何记录。第一行应为表头：名称、统计分组、排序" in text
    assert "Traceback" not in text and response.context.get("confirm_form") is None
    text = page(preview(as_admin, ViolationType, [["名称", "排序"], ["驾驶拼装车", "第一"]]))
    assert 'field-label">排序<' in text and "「第一」应为整数" in text


def test_a_type_used_in_a_locked_year_cannot_be_regrouped_by_a_file(as_admin, brigade, legal):
    speeding = ViolationType.objects.get(name="超速")
    Violation.objects.create(
        brigade=brigade,
        decision_no="D1",
        violation_type=speeding,
        method="现场",
        outcome="警告",
        occurred_at=timezone.make_aware(datetime.datetime(2024, 5, 1, 10)),
    )
    locks.year_lock(brigade=brigade, year=2024, user=legal, reason="2024年度报告定稿")
    rows = [["名称", "统计分组", "排序"], ["超速", "超载超员", 3], ["闯红灯", "", 7]]
    response = preview(as_admin, ViolationType, rows)
    text = page(response)
    assert response.context.get("confirm_form") is None
    assert (
        "「超速」已被已定稿年度（2024年）的违法记录使用，不能把统计分组从「不分组」改为「超载超员」" in text
    )
    assert ViolationType.objects.get(name="超速").group == ""
    # its ordering may still change: that moves no figure
    response = preview(as_admin, ViolationType, [["名称", "统计分组", "排序"], ["超速", "", 1]])
    assert confirm(as_admin, ViolationType, response).status_code == 302
    assert ViolationType.objects.get(name="超速").ordering == 1


def test_violation_types_export_with_the_import_headers(as_admin):
    response = as_admin.post(_url(ViolationType, "export"), {"format": "0", "resource": "0"})
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = [list(r) for r in sheet.values]
    assert rows[0] == ["名称", "统计分组", "排序"]
    assert ["醉酒驾驶", "酒醉驾"] in [r[:2] for r in rows]
    assert len(rows) == 1 + ViolationType.objects.count()


def _xlsx_bytes(rows) -> bytes:
    return make_xlsx(rows).read()


def _not_a_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("说明.txt", "不是工作簿")
    return out.getvalue()


EXCEPTION_NAME = re.compile(r"[A-Z][A-Za-z]*(Error|Exception|Refused)\b|Traceback|encountered")


@pytest.mark.parametrize(
    "content, chosen, says",
    [
        (
            "名称,统计分组\n超速,\n".encode("gb18030"),
            "0",
            "不是可读取的 .xlsx 电子表格",
        ),  # a .csv renamed .xlsx
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "0", "旧版 Excel 文件（.xls）"),
        (_not_a_workbook(), "0", "文件中没有工作簿"),
        (_xlsx_bytes([["名称", "统计分组", "排序"], ["超速", "", 1]])[:900], "0", "文件可能已损坏"),
        (_xlsx_bytes([["名称", "统计分组", "排序"], ["超速", "", 1]]), "1", "请把“格式”选为 xlsx"),
    ],
    ids=["text-renamed-xlsx", "old-xls", "zip-not-workbook", "truncated-xlsx", "xlsx-chosen-as-csv"],
)
def test_a_file_of_the_wrong_format_is_refused_in_chinese(as_admin, content, chosen, says):
    before = ViolationType.objects.count()
    upload = SimpleUploadedFile("目录.xlsx", content)
    response = as_admin.post(
        _url(ViolationType, "import"), {"import_file": upload, "format": chosen, "resource": "0"}
    )
    assert response.status_code == 200
    errors = " ".join(str(e) for e in response.context["form"].errors["import_file"])
    assert says in errors
    assert "名称, 统计分组, 排序" in page(response)  # the columns expected, still listed
    assert not EXCEPTION_NAME.search(page(response)), EXCEPTION_NAME.search(page(response))
    assert ViolationType.objects.count() == before


def test_a_row_the_database_refuses_is_named_without_the_exception(as_admin, monkeypatch):
    from django.db import IntegrityError

    def refuse(self, *args, **kwargs):  # as when another admin saved the same name a moment before
        raise IntegrityError("UNIQUE constraint failed: enforcement_violationtype.name")

    monkeypatch.setattr(ViolationType, "save", refuse)
    response = preview(as_admin, ViolationType, [["名称", "统计分组", "排序"], ["驾驶拼装车", "", 200]])
    text = page(response)
    assert "第1行：这一行未能保存，没有导入任何记录" in text
    assert not EXCEPTION_NAME.search(text) and "UNIQUE" not in text
    assert response.context.get("confirm_form") is None


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_a_csv_from_excel_or_wps_imports_in_any_of_their_encodings(as_admin, encoding):
    content = "名称,统计分组,排序\n驾驶拼装车,,200\n".encode(encoding)
    upload = SimpleUploadedFile("目录.csv", content)
    response = as_admin.post(
        _url(ViolationType, "import"), {"import_file": upload, "format": "1", "resource": "0"}
    )
    assert "驾驶拼装车" in page(response)
    assert confirm(as_admin, ViolationType, response).status_code == 302
    assert ViolationType.objects.filter(name="驾驶拼装车", ordering=200).exists()


def test_a_csv_export_opens_in_excel_and_reimports(as_admin):
    response = as_admin.post(_url(ViolationType, "export"), {"format": "1", "resource": "0"})
    assert response.content.startswith("\ufeff名称,统计分组,排序".encode())
    upload = SimpleUploadedFile("目录.csv", response.content)
    again = as_admin.post(
        _url(ViolationType, "import"), {"import_file": upload, "format": "1", "resource": "0"}
    )
    assert again.context["result"].totals["skip"] == ViolationType.objects.count()


# ── 中队 ──────────────────────────────────────────────────────────────────────────────────────


def test_units_import_by_brigade_code_and_reimport_unchanged(as_admin, brigade, other_brigade, admin_user):
    rows = [["大队代码", "名称"], ["a", "城区中队"], ["a", "高速中队"], ["b", "城区中队"]]
    response = preview(as_admin, Unit, rows)
    assert "城区中队" in page(response) and not Unit.objects.exists()
    assert confirm(as_admin, Unit, response).status_code == 302
    assert sorted(Unit.objects.values_list("brigade__code", "name")) == [
        ("a", "城区中队"),
        ("a", "高速中队"),
        ("b", "城区中队"),
    ]
    assert Unit.history.filter(history_user=admin_user, history_type="+").count() == 3
    again = preview(as_admin, Unit, rows)
    assert again.context["result"].totals["skip"] == 3 and Unit.objects.count() == 3


def test_a_unit_of_an_unknown_brigade_is_named(as_admin, brigade):
    response = preview(as_admin, Unit, [["大队代码", "名称"], ["a", "城区中队"], ["zz", "城区中队"]])
    assert response.context.get("confirm_form") is None
    assert "没有代码为「zz」的单位" in page(response)
    assert not Unit.objects.exists()


# ── 用户 ──────────────────────────────────────────────────────────────────────────────────────

USER_HEADER = ["用户名", "姓名", "大队代码", "角色", "支队级用户", "启用"]


def test_users_import_with_role_and_brigade_and_no_password(as_admin, brigade, other_brigade, admin_user):
    rows = [USER_HEADER, ["zhang3", "张三", "a", "法制员", "否", "是"], ["li4", "李四", "b", "领导", "", ""]]
    response = preview(as_admin, User, rows)
    assert "zhang3" in page(response) and not User.objects.filter(username="zhang3").exists()
    assert confirm(as_admin, User, response).status_code == 302
    zhang = User.objects.get(username="zhang3")
    assert (zhang.first_name, zhang.brigade, zhang.role, zhang.is_active) == ("张三", brigade, "legal", True)
    assert zhang.has_perm("brigade.manage_report") and not zhang.is_staff
    assert not zhang.has_usable_password()  # cannot log in until the admin sets a password
    li = User.objects.get(username="li4")
    assert li.brigade == other_brigade and li.has_perm("brigade.sign_report")
    assert not li.has_perm("brigade.manage_report")
    created = zhang.history.get()
    assert created.history_user == admin_user and created.history_change_reason == "系统管理导入：名单.xlsx"


def test_an_imported_existing_user_keeps_their_password_and_changes_role(as_admin, brigade, clerk):
    old_hash, versions = clerk.password, clerk.history.count()
    response = preview(as_admin, User, [USER_HEADER, ["clerk_a", "王五", "a", "法制员", "否", "是"]])
    assert confirm(as_admin, User, response).status_code == 302
    clerk.refresh_from_db()
    assert clerk.password == old_hash and clerk.role == "legal" and clerk.first_name == "王五"
    assert list(clerk.groups.values_list("name", flat=True)) == ["法制员"]
    assert clerk.history.count() == versions + 1  # one entry for the import, not one per save


def test_a_file_with_a_password_column_is_refused_whole(as_admin, brigade):
    rows = [[*USER_HEADER, "密码"], ["zhang3", "张三", "a", "法制员", "否", "是", "Secret-123456"]]
    response = preview(as_admin, User, rows)
    assert response.context.get("confirm_form") is None
    assert "文件中有密码列「密码」，没有导入任何用户" in page(response)
    assert "Traceback" not in page(response)
    assert not User.objects.filter(username="zhang3").exists()


def test_a_bad_role_and_a_bad_brigade_are_named(as_admin, brigade):
    rows = [
        USER_HEADER,
        ["zhang3", "张三", "a", "科员", "否", "是"],
        ["li4", "李四", "nope", "领导", "否", "是"],
    ]
    text = page(preview(as_admin, User, rows))
    assert "「科员」不是可选值，可选：录入员、法制员、领导、管理员" in text
    assert ">None<" not in text  # an empty cell of a refused row shows empty
    assert "没有代码为「nope」的单位" in text
    assert not User.objects.filter(username__in=["zhang3", "li4"]).exists()


def test_users_export_has_no_password_and_reimports_unchanged(as_admin, clerk, leader):
    response = as_admin.post(_url(User, "export"), {"format": "0", "resource": "0"})
    rows = [list(r) for r in load_workbook(io.BytesIO(response.content)).worksheets[0].values]
    assert rows[0] == USER_HEADER
    assert ["clerk_a", None, "a", "录入员", "否", "是"] in [
        [c or None if i == 1 else c for i, c in enumerate(r)] for r in rows
    ]
    assert not any("pbkdf2" in str(c) or "md5" in str(c) for r in rows for c in r)
    again = preview(as_admin, User, rows)
    assert again.context["result"].totals["skip"] == len(rows) - 1


def test_the_import_pages_are_chinese(as_admin):
    text = page(as_admin.get(_url(ViolationType, "import")))
    for english in ("This importer", "Submit", "Format", "File to import"):
        assert english not in text
    assert "导入" in text and "名称, 统计分组, 排序" in text
    preview_text = page(
        preview(as_admin, ViolationType, [["名称", "统计分组", "排序"], ["驾驶拼装车", "", 200]])
    )
    for english in ("Confirm import", "Preview", "New", "Below is a preview"):
        assert english not in preview_text
    assert "确认导入" in preview_text
