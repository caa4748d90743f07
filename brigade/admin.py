"""The deployment administrator's pages: brigades, units, users and their roles, and read-only
views of locked years and import jobs. Ledger records are kept in the ledger pages."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from brigade.models import Brigade, ImportJob, Unit, User, YearLock
from brigade.roles import assign_role

admin.site.site_header = admin.site.site_title = "法治政府建设管理系统 · 系统管理"
admin.site.index_title = "系统管理"


class LedgerRecordAdmin(SimpleHistoryAdmin):
    """Ledger records are read here, never written: the ledger pages hold every rule that a
    write must pass (the brigade's scope, locked years, the import's all-or-nothing)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class UnitInline(admin.TabularInline):
    model = Unit
    extra = 1


@admin.register(Brigade)
class BrigadeAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "short_name", "superior", "parent"]
    search_fields = ["code", "name", "short_name"]
    list_filter = ["parent"]
    inlines = [UnitInline]


@admin.register(User)
class UserAdmin(SimpleHistoryAdmin, BaseUserAdmin):
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


@admin.register(YearLock)
class YearLockAdmin(SimpleHistoryAdmin):
    """Locks are set by finalising a report and lifted by a legal officer with a reason."""

    list_display = ["brigade", "year", "locked", "reason", "changed_by", "changed_at"]
    list_filter = ["locked", "brigade"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["created_at", "brigade", "kind", "filename", "status", "rows", "user"]
    list_filter = ["status", "kind", "brigade"]
    readonly_fields = [f.name for f in ImportJob._meta.fields]

    def has_add_permission(self, request):
        return False
