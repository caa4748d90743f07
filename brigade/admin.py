"""The deployment administrator's pages: brigades, units, users and their roles, and read-only
views of locked years and import jobs. Ledger records are kept in the ledger pages."""

import logging

from django.apps import apps
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django_tasks_db.models import DBTaskResult
from import_export.admin import ImportExportMixin
from import_export.forms import ExportForm
from simple_history.admin import SimpleHistoryAdmin

from brigade.ledger import registry as ledgers
from brigade.models import Brigade, ImportJob, Unit, User, YearLock
from brigade.resources import BoundedXLSX, ChineseCSV, SheetRefused, UnitResource, UserResource
from brigade.roles import assign_role

logger = logging.getLogger(__name__)

admin.site.site_header = admin.site.site_title = "法治政府建设管理系统 · 系统管理"
admin.site.index_title = "系统管理"
# The task queue is the worker's own bookkeeping (English, and not an audit): imports are shown
# as 导入记录 below.
admin.site.unregister(DBTaskResult)
# django-axes names its app "Axes" (no translation): the login protection's section, in Chinese.
apps.get_app_config("axes").verbose_name = "登录保护"


class HistoryAdmin(SimpleHistoryAdmin):
    """Every model's history in the admin is for reading. simple-history's page of a past
    version is a form that saves on POST with view permission alone: it would write a ledger
    record of a locked year, unlock a year without a reason or rename a final report, past every
    rule. Here it shows the version and refuses to save it."""

    def revert_disabled(self, request, obj=None):
        return True

    def save_model(self, request, obj, form, change):
        """An admin's write is attributed (the history middleware) and reasoned in the history."""
        fields = "、".join(str(form.fields[name].label) for name in form.changed_data if name in form.fields)
        obj._change_reason = f"系统管理{'修改' if change else '新增'}" + (f"：{fields}" if fields else "")
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        obj._change_reason = "系统管理删除"
        super().delete_model(request, obj)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied("历史版本只能查看，不能保存")
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyAdmin(HistoryAdmin):
    """Shown, never written here: the model's own pages and services hold every rule a write
    must pass (the brigade's scope, locked years, reasons, the import's all-or-nothing)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LedgerRecordAdmin(ReadOnlyAdmin):
    """Ledger records are read here, never written: the ledger pages hold the rules."""


def register_ledger_admins(site=admin.site):
    """Each ledger's read-only page, from its declaration in ledgers.py (its list columns,
    filters and search typed once, there). Called once the ledgers are declared (apps.py)."""
    for ledger in ledgers.all():
        if ledger.model in site._registry:
            continue
        attrs = {
            "__doc__": f"{ledger.title}（只读；在台账页面中录入和修改）",
            "list_display": [c.name for c in ledger.display_columns] + ["brigade"],
            "list_filter": ["brigade", *[name for name in ledger.filters if "__" not in name]],
            "search_fields": list(ledger.search),
            "list_select_related": ["brigade"],
        }
        site.register(ledger.model, type(f"{ledger.model.__name__}Admin", (LedgerRecordAdmin,), attrs))


class ImportExportFormats:
    """The files a brigade's admin has: Excel (.xlsx) and .csv, for the reference lists'
    导入/导出 (brigade/resources.py). Before ImportExportMixin in the bases."""

    formats = [BoundedXLSX, ChineseCSV]
    import_formats = export_formats = formats
    # Every column, in the import's order: the selectable form labels them in English
    # ("First Name (姓名)").
    export_form_class = ExportForm
    import_template_name = "admin/reference_import.html"

    def add_data_read_fail_error_to_form(self, form, e):
        """A file the bounded reader refused says why, in its own Chinese words; anything else
        says the file could not be read, never the exception's name (that goes to the log)."""
        if isinstance(e, SheetRefused):
            form.add_error("import_file", str(e))
        else:
            logger.warning("系统管理导入：文件无法读取", exc_info=e)
            form.add_error(
                "import_file",
                "无法读取这个文件，它不是可读取的电子表格：请在 Excel 或 WPS 中打开，另存为 .xlsx 后重新上传",
            )


class UnitInline(admin.TabularInline):
    model = Unit
    extra = 1


@admin.register(Brigade)
class BrigadeAdmin(HistoryAdmin):
    list_display = ["code", "name", "short_name", "superior", "parent"]
    search_fields = ["code", "name", "short_name"]
    list_filter = ["parent"]
    inlines = [UnitInline]


@admin.register(Unit)
class UnitAdmin(ImportExportFormats, ImportExportMixin, HistoryAdmin):
    """中队 of every brigade, also edited on their brigade's page; imported from a file here."""

    resource_classes = [UnitResource]
    list_display = ["name", "brigade"]
    list_filter = ["brigade"]
    search_fields = ["name", "brigade__name"]
    list_select_related = ["brigade"]


@admin.register(User)
class UserAdmin(ImportExportFormats, ImportExportMixin, HistoryAdmin, BaseUserAdmin):
    """Users, by hand or from a file of 用户名, 姓名, 大队代码, 角色 — never with passwords
    (brigade/resources.py: an imported user has none until the admin sets one)."""

    resource_classes = [UserResource]
    list_display = ["username", "first_name", "brigade", "role", "is_detachment", "is_active", "last_login"]
    list_filter = ["role", "brigade", "is_detachment", "is_active"]
    fieldsets = [
        *BaseUserAdmin.fieldsets[:2],
        ("单位与角色", {"fields": ["brigade", "role", "is_detachment", "is_active"]}),
        ("登录", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["username", "password1", "password2", "brigade", "role", "is_detachment"]}),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        assign_role(obj, obj.role)  # the role's group carries the permissions

    def has_delete_permission(self, request, obj=None):
        return False  # a user who left is made inactive: their name stays on what they did and signed


@admin.register(YearLock)
class YearLockAdmin(ReadOnlyAdmin):
    """Locks are set by finalising a report and lifted by a legal officer with a reason."""

    list_display = ["brigade", "year", "locked", "reason", "changed_by", "changed_at"]
    list_filter = ["locked", "brigade"]


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """The audit of who imported what, when: read, never changed or deleted."""

    list_display = ["created_at", "brigade", "kind", "filename", "status", "rows", "user"]
    list_filter = ["status", "kind", "brigade"]
    readonly_fields = [f.name for f in ImportJob._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
