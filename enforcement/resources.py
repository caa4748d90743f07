"""The 违法行为目录's import and export in the admin (the machinery and its rules: brigade/resources.py).
A type used by records of a finalised year keeps its group: a file that changes it is refused, row
by row, with the years named (enforcement/reference.py)."""

from django.core.exceptions import ValidationError
from import_export import fields

from brigade.resources import AuditedResource, ChoiceWidget, TextWidget, WholeNumberWidget
from enforcement.models import ViolationType
from enforcement.reference import locked_years_using


class ViolationTypeResource(AuditedResource):
    name = fields.Field("name", "名称", widget=TextWidget())
    group = fields.Field("group", "统计分组", widget=ChoiceWidget(ViolationType.Group.choices, blank=True))
    ordering = fields.Field("ordering", "排序", widget=WholeNumberWidget(), default=100)

    class Meta(AuditedResource.Meta):
        model = ViolationType
        fields = ["name", "group", "ordering"]
        import_id_fields = ["name"]
        name = "违法行为目录"

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if instance.pk is not None and "group" not in errors:
            before = ViolationType.objects.get(pk=instance.pk)
            if before.group != instance.group:
                years = locked_years_using(before)
                if years:
                    shown = "、".join(f"{y}年" for y in years)
                    errors["group"] = ValidationError(
                        f"「{before.name}」已被已定稿年度（{shown}）的违法记录使用，不能把统计分组从"
                        f"「{before.group or '不分组'}」改为「{instance.group or '不分组'}」：这会改变已报送报告的数字。"
                        "如确需调整，请先由法制员解锁该年度台账。"
                    )
        super().validate_instance(instance, errors, validate_unique)
