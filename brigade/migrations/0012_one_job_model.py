"""One job model for every kind (brigade.outputs): each ImportJob and OutputJob row becomes a Job
row, its file left where it is. An import keeps its id (its preview page's URL stays the same);
a file made gets a new one, its old id kept in `result["output_id"]` (the old /files/<id>/ URLs
redirect to it, brigade/output_views.py)."""

import django.db.models.deletion
from django.conf import settings
from django.core.management.color import no_style
from django.db import migrations, models

IMPORT = "import"


def copy_jobs(apps, schema_editor):
    Job = apps.get_model("brigade", "Job")
    ImportJob = apps.get_model("brigade", "ImportJob")
    OutputJob = apps.get_model("brigade", "OutputJob")
    db = schema_editor.connection.alias
    batch = []
    for old in ImportJob.objects.using(db).order_by("pk").iterator():
        result = dict(old.result or {})
        batch.append(Job(
            pk=old.pk, kind=IMPORT, brigade_id=old.brigade_id, user_id=old.user_id,
            confirmed_by_id=old.confirmed_by_id, title=old.filename, params={"ledger": old.kind},
            status=old.status, phase=old.phase, progress=old.progress, total=old.total,
            heartbeat_at=old.heartbeat_at, file=old.file.name, filename=old.filename, sha256=old.sha256,
            size=old.size, result=result, message=old.message, finished_at=old.finished_at,
        ))  # fmt: skip
        if len(batch) >= 500:
            Job.objects.using(db).bulk_create(batch)
            batch = []
    Job.objects.using(db).bulk_create(batch)
    # created_at is auto_now_add: set afterwards, as it was
    _times(Job, ImportJob, db, lambda old: old.pk)
    # the ids given explicitly: the next new row's id comes after them (PostgreSQL's sequence)
    with schema_editor.connection.cursor() as cursor:
        for sql in schema_editor.connection.ops.sequence_reset_sql(no_style(), [Job]):
            cursor.execute(sql)
    new_ids = {}
    for old in OutputJob.objects.using(db).order_by("pk").iterator():
        job = Job.objects.using(db).create(
            kind=old.kind, brigade_id=old.brigade_id, user_id=old.user_id, title=old.title,
            params=old.params or {}, result={"output_id": old.pk}, status=old.status, progress=old.progress,
            total=old.total, heartbeat_at=old.heartbeat_at, file=old.file.name, filename=old.filename,
            content_type=old.content_type, message=old.message, finished_at=old.finished_at,
        )  # fmt: skip
        new_ids[old.pk] = job.pk
    _times(Job, OutputJob, db, new_ids.get)


def _times(Job, Old, db, new_id):
    for old in Old.objects.using(db).only("pk", "created_at").iterator():
        Job.objects.using(db).filter(pk=new_id(old)).update(created_at=old.created_at)


class Migration(migrations.Migration):
    dependencies = [
        ("brigade", "0011_note_length"),
    ]

    operations = [
        migrations.CreateModel(
            name="Job",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.CharField(db_index=True, max_length=40, verbose_name="类型")),
                ("title", models.CharField(blank=True, max_length=200, verbose_name="名称")),
                ("params", models.JSONField(blank=True, default=dict, verbose_name="参数")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("checking", "正在检查"),
                            ("preview", "待确认"),
                            ("refused", "有错误，未导入"),
                            ("queued", "排队等待"),
                            ("running", "正在进行"),
                            ("done", "已完成"),
                            ("failed", "失败"),
                            ("abandoned", "已放弃"),
                        ],
                        default="queued",
                        max_length=10,
                        verbose_name="状态",
                    ),
                ),
                (
                    "phase",
                    models.CharField(
                        blank=True,
                        choices=[("checking", "正在检查"), ("writing", "正在写入")],
                        max_length=10,
                        verbose_name="进行到",
                    ),
                ),
                ("progress", models.PositiveIntegerField(default=0, verbose_name="已完成")),
                ("total", models.PositiveIntegerField(default=0, verbose_name="总数")),
                ("heartbeat_at", models.DateTimeField(blank=True, null=True, verbose_name="最后报告时间")),
                (
                    "file",
                    models.FileField(
                        blank=True, max_length=200, upload_to="outputs/%Y/%m/", verbose_name="文件"
                    ),
                ),
                ("filename", models.CharField(blank=True, max_length=255, verbose_name="文件名")),
                ("content_type", models.CharField(blank=True, max_length=100, verbose_name="文件类型")),
                (
                    "sha256",
                    models.CharField(blank=True, db_index=True, max_length=64, verbose_name="SHA-256"),
                ),
                ("size", models.PositiveBigIntegerField(default=0, verbose_name="大小（字节）")),
                ("result", models.JSONField(blank=True, default=dict, verbose_name="结果")),
                ("message", models.TextField(blank=True, verbose_name="说明")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="申请时间")),
                ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="完成时间")),
                (
                    "brigade",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="brigade.brigade",
                        verbose_name="所属单位",
                    ),
                ),
                (
                    "confirmed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="确认人",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="申请人",
                    ),
                ),
            ],
            options={
                "verbose_name": "后台任务",
                "verbose_name_plural": "后台任务",
                "ordering": ["-created_at"],
            },
        ),
        migrations.RunPython(copy_jobs, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="outputjob",
            name="brigade",
        ),
        migrations.RemoveField(
            model_name="outputjob",
            name="user",
        ),
        migrations.DeleteModel(
            name="ImportJob",
        ),
        migrations.DeleteModel(
            name="OutputJob",
        ),
    ]
