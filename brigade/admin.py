"""The deployment administrator's pages: brigades, units, users and their roles, and read-only
views of locked years and import jobs. Ledger records are kept in the ledger pages."""

import logging

from axes import admin as axes_admin
from axes.conf import settings as axes_settings
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, SetUnusablePasswordMixin
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.text import format_lazy
from django_tasks_db.models import DBTaskResult
from import_export.admin import ImportExportMixin
from import_export.forms import ExportForm
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from brigade import outputs
from brigade.ledger import jobs
from brigade.ledger import registry as ledgers
from brigade.models import Brigade, Job, Unit, User, YearLock
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
# The task queue's permissions are still listed where a role's permissions are chosen.
apps.get_app_config("django_tasks_database").verbose_name = "后台任务"
# simple-history names each history table "historical 学法培训", untranslatable; the admin shows
# the name where permissions are chosen (the permissions themselves: brigade/permissions.py).
# Only the display name changes: migrations read the model's declared options, not these.
for _model in apps.get_models():
    if hasattr(_model, "instance_type") and hasattr(_model, "history_id"):
        _model._meta.verbose_name = format_lazy("{}（历史版本）", _model.instance_type._meta.verbose_name)
        _model._meta.verbose_name_plural = _model._meta.verbose_name


class ChineseDeltaHelper(HistoricalRecordContextHelper):
    """A history row's changes as the forms show the values: a choice by its label (角色：录入员 →
    法制员, not clerk → legal), yes/no as 是/否, nothing as 空."""

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        field = self.model._meta.get_field(change.field)
        if value is None or value == "":
            return "（空）"
        if field.choices:
            return dict(field.flatchoices).get(value, value)
        if isinstance(value, bool):
            return "是" if value else "否"
        return value


class HistoryAdmin(SimpleHistoryAdmin):
    """Every model's history in the admin is for reading. simple-history's page of a past
    version is a form that saves on POST with view permission alone: it would write a ledger
    record of a locked year, unlock a year without a reason or rename a final report, past every
    rule. Here it shows the version and refuses to save it."""

    def revert_disabled(self, request, obj=None):
        return True

    def get_historical_record_context_helper(self, request, historical_record):
        return ChineseDeltaHelper(self.model, historical_record)

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

    def import_action(self, request, **kwargs):
        """The import page; after a refused file it still lists the columns expected (the
        library leaves the list out when the file could not be read)."""
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None)
        if context is not None and not context.get("fields_list"):
            resource_kwargs = self.get_import_resource_kwargs(request=request, form=context.get("form"))
            resources = [cls(**resource_kwargs) for cls in self.get_import_resource_classes(request)]
            context["fields_list"] = [
                (resource.get_display_name(), [f.column_name for f in resource.get_user_visible_fields()])
                for resource in resources
            ]
        return response

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


class PasswordChangeForm(AdminPasswordChangeForm):
    """A user's 修改密码 page: Django writes the warning under 禁用 in English, outside its
    catalogue (the id is what its script shows and hides)."""

    usable_password_help_text = format_lazy(
        '{}<ul id="id_unusable_warning" class="messagelist"><li class="warning">{}</li></ul>',
        SetUnusablePasswordMixin.usable_password_help_text,
        "禁用后，该用户现有的密码将失效，要由管理员重新设置后才能用密码登录。",
    )


@admin.register(User)
class UserAdmin(ImportExportFormats, ImportExportMixin, HistoryAdmin, BaseUserAdmin):
    """Users, by hand or from a file of 用户名, 姓名, 大队代码, 角色 — never with passwords
    (brigade/resources.py: an imported user has none until the admin sets one)."""

    resource_classes = [UserResource]
    change_password_form = PasswordChangeForm
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


class KindFilter(admin.SimpleListFilter):
    """A job's kind by its name (导入台账 · 学法培训, 报告PDF), not the kind stored."""

    title = "类型"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        kinds = [(kind, title) for kind, title in outputs.TITLES.items() if kind != jobs.KIND]
        return [
            *((f"import:{ledger.kind}", f"导入台账 · {ledger.title}") for ledger in ledgers.all()),
            *kinds,
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value.startswith("import:"):
            return queryset.filter(kind=jobs.KIND, params__ledger=value.removeprefix("import:"))
        return queryset.filter(kind=value)


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """后台任务: every job the worker did or does (imports, exports, PDFs) — the audit of who
    imported or asked for what, when: read, never changed or deleted."""

    list_display = ["created_at", "brigade", "kind_title", "name", "status_title", "rows", "user"]
    list_filter = ["status", KindFilter, "brigade"]
    list_select_related = ["brigade", "user"]
    search_fields = ["filename", "title"]
    fields = readonly_fields = [
        "kind_title",
        "brigade",
        "name",
        "size",
        "fingerprint",
        "status_title",
        "rows",
        "progress",
        "message",
        "user",
        "confirmed_by",
        "created_at",
        "finished_at",
    ]

    @admin.display(description="类型", ordering="kind")
    def kind_title(self, job):
        title = outputs.TITLES.get(job.kind, job.kind)
        if job.kind != jobs.KIND:
            return title
        try:
            return f"{title} · {ledgers.get(job.ledger_kind).title}"
        except KeyError:
            return f"{title} · {job.ledger_kind}"  # a ledger since removed from the declarations

    @admin.display(description="名称", ordering="title")
    def name(self, job):
        return job.title or job.filename

    @admin.display(description="状态", ordering="status")
    def status_title(self, job):
        return job.get_status_display()

    @admin.display(description="行数")
    def rows(self, job):
        return (job.result or {}).get("rows", job.total if job.kind != jobs.KIND else 0)

    @admin.display(description="文件指纹（SHA-256，相同文件相同）")
    def fingerprint(self, job):
        return job.sha256

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# django-axes's login records (登录保护), its admin in Chinese: its own columns and messages are
# English, and its records name themselves with a UTC time ("Attempted Access: … +00:00").


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


AccessAttempt.__str__ = lambda self: f"{self.username} 登录失败（{_local(self.attempt_time)}起）"
AccessLog.__str__ = lambda self: f"{self.username} 登录（{_local(self.attempt_time)}）"
AccessFailureLog.__str__ = lambda self: (
    f"{self.username} 登录失败（{_local(self.attempt_time)}）{'，已锁定' if self.locked_out else ''}"
)


for _model in (AccessAttempt, AccessLog, AccessFailureLog):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    """Failed logins still counting towards a lockout. Deleting one lifts its lockout."""

    list_display = [
        "attempt_time",
        "username",
        "ip_address",
        "failures_since_start",
        "status",
        "path_info",
        "user_agent",
    ]

    @admin.display(description="状态")
    def status(self, obj):
        left = axes_settings.AXES_FAILURE_LIMIT - obj.failures_since_start
        return f"还可尝试{left}次" if left > 0 else "已锁定"

    @admin.display(description="到期时间")
    def expiration(self, obj):
        return _local(obj.expiration.expires_at) if hasattr(obj, "expiration") else "未设置"

    @admin.action(description="清除已过期的尝试记录")
    def cleanup_expired_attempts(self, request, queryset):
        count = self.handler.clean_expired_user_attempts(request=request)
        self.message_user(request, f"已清除{count}条过期的尝试记录。")


@admin.register(AccessLog)
class AccessLogAdmin(axes_admin.AccessLogAdmin):
    """Every login and logout, kept as the audit of who was in."""


@admin.register(AccessFailureLog)
class AccessFailureLogAdmin(axes_admin.AccessFailureLogAdmin):
    """Every failed login, kept after a lockout is lifted."""
