from django import template

register = template.Library()

# django-simple-history ships no Chinese translation of its history types.
ACTIONS = {"+": "新增", "~": "修改", "-": "删除"}


@register.filter
def history_action(version) -> str:
    """The action of a history row in Chinese: 新增, 修改, 删除."""
    return ACTIONS.get(getattr(version, "history_type", ""), "")
