"""The admin's import and export of reference lists (中队, users; 违法行为目录 in enforcement/), with
django-import-export's preview before anything is written (docs/imports.md, “参照名单”).

Ledgers do not use this: their own importer (brigade/ledger/importer.py) validates 100,000 rows in
seconds through the ledger's form. These lists are short, edited by the deployment's admin, and
the library's preview, confirm and admin log are what they need. Every column has a Chinese
header, every refused cell a Chinese message naming the column, and every write a history row
(simple-history) attributed to the admin who confirmed, with the file's name as its reason."""

import io
import logging

import tablib
from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets
from import_export.formats.base_formats import CSV, XLSX
from import_export.results import Error

from brigade.ledger import bounded
from brigade.models import Brigade, Role, Unit, User
from brigade.roles import assign_role, role_flags
from sheets.calaminereader import OLE_MAGIC
from sheets.read import ZIP_MAGIC
from sheets.readers import FileRefused as SheetRefused

logger = logging.getLogger(__name__)

MAX_ROWS = 20_000  # rows of a reference list's file (a deployment's users, units, violation types)


def bounded_dataset(content: bytes, *, spreadsheet: bool) -> tablib.Dataset:
    """The first sheet of an uploaded list as the library's Dataset (the header row its headers),
    parsed like every upload in the bounded child process (brigade/ledger/bounded.py), not by
    openpyxl or the csv module in the web worker. `spreadsheet`: the admin chose .xlsx (a zip),
    else .csv; a file that is not what was chosen is refused as before. Empty rows are left out,
    whole numbers come as int, and what lies right of the header is not read."""
    if not isinstance(content, bytes):
        raise SheetRefused("无法读取上传的文件，请重新选择文件后上传")
    if (content[:4] in ZIP_MAGIC) != spreadsheet:
        raise SheetRefused(_format_mismatch(content, spreadsheet=spreadsheet))
    with bounded.open_rows(io.BytesIO(content)) as rows:
        header = next(rows, [])
        width = len(header)
        data = tablib.Dataset(headers=["" if h is None else str(h) for h in header])
        if not width:
            return data
        rows.keep([(i, None) for i in range(width)])
        for row in rows:
            row = [int(v) if v.__class__ is float and v.is_integer() else v for v in row[:width]]
            if not any(v not in ("", None) for v in row):
                continue
            if len(data) >= MAX_ROWS:
                raise SheetRefused(f"名单文件最多{MAX_ROWS}行，请分成几个文件导入")
            data.append(row + [""] * (width - len(row)))
    return data


def _format_mismatch(content: bytes, *, spreadsheet: bool) -> str:
    """Why a file is not what the admin chose, and what to do, in the admin's words."""
    if not spreadsheet:
        return "这是 Excel 文件（.xlsx），不是 csv 文件：请把“格式”选为 xlsx 后重新上传"
    if content[:8] == OLE_MAGIC:
        return (
            "这是旧版 Excel 文件（.xls）或加密的文件，不是可读取的 .xlsx 电子表格："
            "请在 Excel 或 WPS 中打开，另存为 .xlsx（不设密码）后重新上传"
        )
    return (
        "这个文件不是可读取的 .xlsx 电子表格（可能是改了扩展名的其他文件，或已损坏）："
        "请在 Excel 或 WPS 中打开，另存为 .xlsx 后重新上传；若是 csv 文件，请把“格式”选为 csv"
    )


class BoundedXLSX(XLSX):
    """.xlsx read by our own reader in the bounded child, not by openpyxl in the web worker."""

    def create_dataset(self, in_stream, **kwargs):
        return bounded_dataset(in_stream, spreadsheet=True)


class ChineseCSV(CSV):
    """.csv as Excel and WPS save it: UTF-8 (with or without a BOM) or GB18030, read as bytes and
    decoded by our reader (the library reads one fixed encoding); written as UTF-8 with a BOM,
    which Excel opens without garbling the Chinese."""

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        """UTF-8 or GB18030, decoded and parsed in the bounded child (sheets.csvreader)."""
        if isinstance(in_stream, str):
            in_stream = in_stream.encode("utf-8")
        return bounded_dataset(in_stream, spreadsheet=False)

    def export_data(self, dataset, **kwargs):
        return ("\ufeff" + super().export_data(dataset, **kwargs)).encode("utf-8")


class CellRefused(ValueError):
    """A cell the list does not accept, said in Chinese (shown with its row and column)."""


class TextWidget(widgets.CharWidget):
    """Text as typed, without the spaces around it (" 超速" is 超速, not a new type)."""

    def clean(self, value, row=None, **kwargs):
        return str(super().clean(value, row, **kwargs) or "").strip()


class ChoiceWidget(widgets.Widget):
    """A choice column by its Chinese label (or its stored value); exported by the label."""

    def __init__(self, choices, *, blank=False):
        super().__init__()
        self.choices = [(str(v), str(label)) for v, label in choices]
        self.blank = blank

    def clean(self, value, row=None, **kwargs):
        text = "" if value is None else str(value).strip()
        if not text and self.blank:
            return ""
        for stored, label in self.choices:
            if text in (stored, label):
                return stored
        raise CellRefused(f"「{text}」不是可选值，可选：{'、'.join(label for _, label in self.choices)}")

    def render(self, value, obj=None, **kwargs):
        return dict(self.choices).get(str(value or ""), value or "")


class YesNoWidget(widgets.Widget):
    """是/否 (blank is the default given)."""

    def __init__(self, *, default=False):
        super().__init__()
        self.default = default

    def clean(self, value, row=None, **kwargs):
        text = "" if value is None else str(value).strip()
        if not text:
            return self.default
        if text in ("是", "1", "TRUE", "True", "true"):
            return True
        if text in ("否", "0", "FALSE", "False", "false"):
            return False
        raise CellRefused(f"「{text}」应填“是”或“否”")

    def render(self, value, obj=None, **kwargs):
        return "是" if value else "否"


class BrigadeCodeWidget(widgets.ForeignKeyWidget):
    """A brigade by its code (the code the command line uses, e.g. shuangpai)."""

    def __init__(self):
        super().__init__(Brigade, "code")

    def clean(self, value, row=None, **kwargs):
        text = "" if value is None else str(value).strip()
        if not text:
            raise CellRefused("必须填写大队代码")
        try:
            return Brigade.objects.get(code=text)
        except Brigade.DoesNotExist:
            raise CellRefused(f"没有代码为「{text}」的单位（见“单位（大队/支队）”中的代码）")


class WholeNumberWidget(widgets.IntegerWidget):
    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except (ValueError, ArithmeticError):
            raise CellRefused(f"「{value}」应为整数")


class FileRefused(ValueError):
    """The whole file is refused (shown as one sentence above the form, nothing imported)."""


class ReadableError(Error):
    """An import error as the admin reads it: our own refusals in their Chinese words; anything
    else (the database refusing a row, a bug) as a Chinese sentence naming the row, the exception
    itself in the log. The library would print its name and its English message."""

    def __init__(self, error, row=None, number=None):
        if not isinstance(error, FileRefused | SheetRefused | CellRefused):
            logger.error("系统管理导入出错（第%s行）", number, exc_info=error)
            error = FileRefused(
                "这一行未能保存，没有导入任何记录：数据库拒绝了它（可能与刚由他人录入的记录重复）。"
                "请刷新后重新上传；仍不行请联系系统维护人员（详情已记入系统日志）"
                if number is not None
                else "文件未能导入，没有导入任何记录：系统出错（详情已记入系统日志），请联系系统维护人员"
            )
        super().__init__(error, row, number)


class AuditedResource(resources.ModelResource):
    """One transaction per file (all or nothing; the preview is rolled back), and a reason on
    each history row: who imported is the request's user (the history middleware)."""

    def get_error_result_class(self):
        return ReadableError

    def before_import(self, dataset, **kwargs):
        # An empty cell is empty, also where the preview shows a refused row (not "None").
        for i, row in enumerate(list(dataset)):
            dataset[i] = tuple("" if v is None else v for v in row)
        headers = {str(h).strip() for h in dataset.headers or [] if h}
        keys = [self.fields[name].column_name for name in self._meta.import_id_fields]
        missing = [k for k in keys if k not in headers]
        if missing:
            expected = "、".join(f.column_name for f in self.get_import_fields())
            raise FileRefused(
                f"文件缺少「{'、'.join(missing)}」列，没有导入任何记录。第一行应为表头：{expected}"
            )

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The errors of a row under their Chinese column headers (the preview lists them so)."""
        try:
            super().validate_instance(instance, import_validation_errors, validate_unique)
        except ValidationError as e:
            headers = {f.attribute: f.column_name for f in self.get_import_fields()}
            raise ValidationError({headers.get(k, k): v for k, v in e.error_dict.items()})

    def before_save_instance(self, instance, row, **kwargs):
        name = kwargs.get("file_name") or ""
        instance._change_reason = f"系统管理导入：{name}" if name else "系统管理导入"

    class Meta:
        abstract = True
        use_transactions = True
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True


class UnitResource(AuditedResource):
    brigade = fields.Field("brigade", "大队代码", widget=BrigadeCodeWidget())
    name = fields.Field("name", "名称", widget=TextWidget())

    class Meta(AuditedResource.Meta):
        model = Unit
        fields = ["brigade", "name"]
        import_id_fields = ["brigade", "name"]
        name = "中队"

    def get_export_queryset(self, request=None):
        return Unit.objects.select_related("brigade")


PASSWORD_HEADERS = ("密码", "password", "口令")


class UserResource(AuditedResource):
    """Users by 用户名 with their 大队 (by code) and 角色 (by its Chinese name). A file never
    carries a password: a column that looks like one refuses the file. A new user has no usable
    password until the admin sets one (用户 → 修改密码) and tells them in person; an existing
    user's password is left as it is."""

    username = fields.Field("username", "用户名", widget=TextWidget())
    first_name = fields.Field("first_name", "姓名", widget=TextWidget())
    brigade = fields.Field("brigade", "大队代码", widget=BrigadeCodeWidget())
    role = fields.Field("role", "角色", widget=ChoiceWidget(Role.choices))
    is_detachment = fields.Field("is_detachment", "支队级用户", widget=YesNoWidget())
    is_active = fields.Field("is_active", "启用", widget=YesNoWidget(default=True))

    class Meta(AuditedResource.Meta):
        model = User
        fields = ["username", "first_name", "brigade", "role", "is_detachment", "is_active"]
        import_id_fields = ["username"]
        name = "用户"

    def get_export_queryset(self, request=None):
        return User.objects.select_related("brigade").order_by("username")

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        found = [h for h in dataset.headers or [] if h and any(p in str(h).lower() for p in PASSWORD_HEADERS)]
        if found:
            raise FileRefused(
                f"文件中有密码列「{'、'.join(map(str, found))}」，没有导入任何用户。导入文件不能含密码："
                "请删去这一列后重新上传；新用户的密码由管理员在“修改密码”中设置后当面告知本人。"
            )

    def import_instance(self, instance, row, **kwargs):
        if instance.pk is None:
            instance.set_unusable_password()  # cannot log in until the admin sets a password
        super().import_instance(instance, row, **kwargs)

    def before_save_instance(self, instance, row, **kwargs):
        super().before_save_instance(instance, row, **kwargs)
        role_flags(instance)  # saved with the row: one history entry per user imported

    def after_save_instance(self, instance, row, **kwargs):
        assign_role(instance, instance.role, save=False)  # the role's group carries the permissions
