"""Permission names in Chinese. Django stores each model's default permissions as English
sentences ("Can add 学法培训") when it creates them at migrate time and never renames them; the
admin shows these names wherever a user's or a role's permissions are chosen. After every migrate
(run on each start and upgrade) they are renamed, so a database made before this reads the same."""

from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, router
from django.utils import translation

ACTIONS = {"add": "可新增", "change": "可修改", "delete": "可删除", "view": "可查看"}


def model_name_in_chinese(model) -> str:
    """The model's name as the admin shows it; a simple-history table (named "historical …" by
    the library, in English) as its model's name and 历史版本."""
    with translation.override(settings.LANGUAGE_CODE):
        original = getattr(model, "instance_type", None)
        if original is not None and hasattr(model, "history_id"):
            return f"{original._meta.verbose_name}（历史版本）"
        return str(model._meta.verbose_name)


def permission_names_in_chinese(*, app_config=None, using=DEFAULT_DB_ALIAS, **kwargs):
    """post_migrate: the default permissions of `app_config`'s models (just created by Django's
    own post_migrate handler, which runs first) named "可新增 学法培训" and so on."""
    if app_config is None or not app_config.models_module:
        return
    if not router.allow_migrate_model(using, Permission):
        return
    # The installed models, not the migration state's: the names are the models' current ones.
    models = list(app_config.get_models())
    if not models:
        return
    content_types = ContentType.objects.db_manager(using).get_for_models(*models, for_concrete_models=False)
    wanted = {}
    for model, content_type in content_types.items():
        name = model_name_in_chinese(model)
        for action in model._meta.default_permissions:
            if action in ACTIONS:
                wanted[(content_type.pk, f"{action}_{model._meta.model_name}")] = f"{ACTIONS[action]} {name}"
    renamed = []
    for perm in Permission.objects.using(using).filter(content_type__in=content_types.values()):
        name = wanted.get((perm.content_type_id, perm.codename))
        if name and perm.name != name:
            perm.name = name[: Permission._meta.get_field("name").max_length]
            renamed.append(perm)
    Permission.objects.using(using).bulk_update(renamed, ["name"])
