"""The organisation (brigades, units, users and their roles), the base every ledger record
shares, and the four ledgers that describe the brigade itself."""

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from brigade import rules


class Brigade(models.Model):
    code = models.SlugField(
        "代码", max_length=32, unique=True, help_text="命令行和导入时使用的简短代码，如 shuangpai"
    )
    name = models.CharField("全称", max_length=100, unique=True)
    short_name = models.CharField("简称", max_length=50, blank=True)
    superior = models.CharField("主送机关", max_length=100, blank=True, help_text="如：中共双牌县委")
    doc_prefix = models.CharField("发文机关代字", max_length=30, blank=True, help_text="如：淄公交川政")
    signer = models.CharField("默认签发人", max_length=30, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级支队",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "单位（大队/支队）"
        ordering = ["code"]
        # Brigade-wide permissions that belong to no single ledger; roles.py hands them out.
        permissions = [
            ("restore_record", "从历史中恢复已删除的记录"),
            ("unlock_year", "解锁已定稿年度的台账"),
            ("manage_report", "起草、编辑、提交年度报告"),
            ("sign_report", "审核、退回、签发年度报告"),
            ("view_report", "查看和下载年度报告"),
            ("view_dashboard", "查看领导驾驶舱"),
        ]

    def __str__(self):
        return self.short_name or self.name


class Unit(models.Model):
    brigade = models.ForeignKey(
        Brigade, verbose_name="所属大队", on_delete=models.CASCADE, related_name="units"
    )
    name = models.CharField("名称", max_length=50)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "中队"
        ordering = ["brigade", "name"]
        constraints = [models.UniqueConstraint(fields=["brigade", "name"], name="unit_unique_name")]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    CLERK = "clerk", "录入员"
    LEGAL = "legal", "法制员"
    LEADER = "leader", "领导"
    ADMIN = "admin", "管理员"


class UserManager(BaseUserManager):
    def get_queryset(self):
        # Every page names the user's brigade: fetch it with the user (one query, not two).
        return super().get_queryset().select_related("brigade")


class User(AbstractUser):
    """A person who logs in. Their brigade scopes everything they see; their role is also a
    Django group that carries the real permissions (see brigade/roles.py)."""

    brigade = models.ForeignKey(
        Brigade,
        verbose_name="所属单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    role = models.CharField("角色", max_length=10, choices=Role.choices, default=Role.CLERK)
    is_detachment = models.BooleanField(
        "支队级用户", default=False, help_text="可查看本支队所辖各大队的数据和报告，不能修改"
    )
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    objects = UserManager()

    class Meta:
        verbose_name = verbose_name_plural = "用户"

    def __str__(self):
        return self.get_full_name() or self.username


class LedgerRecord(models.Model):
    """What every ledger record shares: its brigade, its audit history and its row rules.

    `row_rules` are the cross-field rules (end ≥ start, 整改 ≤ 发现 …). They are declared once
    on the model and run by `clean()` for forms and by the importer for every row alike."""

    # No index of its own: every ledger has composite indexes that start with the brigade.
    brigade = models.ForeignKey(
        Brigade, verbose_name="所属大队", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    row_rules: tuple = ()

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        errors = rules.check_row(self.row_rules, self.__dict__)
        if errors:
            raise ValidationError(errors)


# ── The four ledgers of the brigade itself ────────────────────────────────────────────────────


class Training(LedgerRecord):
    class Kind(models.TextChoices):
        LEADERS = "领导班子集中学法", "领导班子集中学法"
        ALL = "全警培训", "全警培训"
        TOPIC = "专题学法", "专题学法"
        DRILL = "岗位练兵", "岗位练兵"
        EXAM = "执法资格考试", "执法资格考试"
        LECTURE = "法治讲座", "法治讲座"

    class Mode(models.TextChoices):
        OFFLINE = "线下", "线下"
        ONLINE = "线上", "线上"
        MIXED = "线上线下结合", "线上线下结合"

    date = models.DateField("日期", validators=[rules.not_in_future])
    name = models.CharField("名称", max_length=200)
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    mode = models.CharField("形式", max_length=10, choices=Mode.choices)
    attendees = models.PositiveIntegerField("参加人数", validators=[MinValueValidator(1)])
    hours = models.DecimalField(
        "学时", max_digits=6, decimal_places=1, null=True, blank=True, validators=[rules.positive]
    )
    # A long note still has a length a clerk keeps (docs/ledgers.md): the form and the import
    # (brigade/ledger/columns.py) refuse more; the database column stays text.
    content = models.TextField("学习内容", max_length=2000, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "学法培训"
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["brigade", "date"])]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}"


class Meeting(LedgerRecord):
    class Kind(models.TextChoices):
        PARTY = "党委会", "党委会"
        RULE_OF_LAW = "法治建设专题会议", "法治建设专题会议"
        SUPERVISION = "执法监督委员会会议", "执法监督委员会会议"
        RETREAT = "务虚会", "务虚会"
        CASE = "案件会商会", "案件会商会"

    date = models.DateField("日期", validators=[rules.not_in_future])
    name = models.CharField("会议名称", max_length=200)
    kind = models.CharField("会议类型", max_length=20, choices=Kind.choices)
    chair = models.CharField("主持人", max_length=30, blank=True)
    topics = models.TextField("研究事项", max_length=2000, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "会议"
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["brigade", "date"])]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}"


class Regulation(LedgerRecord):
    class Category(models.TextChoices):
        ENFORCEMENT = "执法规范", "执法规范"
        SUPERVISION = "监督管理", "监督管理"
        TEAM = "队伍管理", "队伍管理"
        OTHER = "其他", "其他"

    class Status(models.TextChoices):
        NEW = "新建", "新建"
        REVISED = "修订", "修订"
        REPEALED = "废止", "废止"

    name = models.CharField("制度名称", max_length=200)
    date = models.DateField("发布日期", validators=[rules.not_in_future])
    category = models.CharField("类别", max_length=10, choices=Category.choices)
    status = models.CharField("状态", max_length=10, choices=Status.choices)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "制度建设"
        ordering = ["-date", "-id"]
        constraints = [models.UniqueConstraint(fields=["brigade", "name"], name="regulation_unique_name")]

    def __str__(self):
        return f"《{self.name}》"


class Officer(LedgerRecord):
    class Category(models.TextChoices):
        POLICE = "民警", "民警"
        AUXILIARY = "辅警", "辅警"
        WORKER = "工勤人员", "工勤人员"

    class Qualification(models.TextChoices):
        BASIC = "基本级", "基本级"
        MIDDLE = "中级", "中级"
        HIGH = "高级", "高级"
        NONE = "无", "无"

    class YesNo(models.TextChoices):
        YES = "是", "是"
        NO = "否", "否"

    class Status(models.TextChoices):
        ACTIVE = "在职", "在职"
        SECONDED = "借调", "借调"
        RETIRED = "退休", "退休"
        LEFT = "离职", "离职"

    badge_no = models.CharField("警号", max_length=20)
    name = models.CharField("姓名", max_length=30)
    category = models.CharField("人员类别", max_length=10, choices=Category.choices)
    birth_date = models.DateField("出生日期", null=True, blank=True, validators=[rules.not_in_future])
    unit = models.CharField("所在单位", max_length=50, blank=True)
    qualification = models.CharField(
        "执法资格等级", max_length=10, choices=Qualification.choices, default=Qualification.NONE
    )
    is_legal_officer = models.CharField("是否法制员", max_length=2, choices=YesNo.choices, default=YesNo.NO)
    status = models.CharField("在职状态", max_length=10, choices=Status.choices, default=Status.ACTIVE)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "队伍花名册"
        ordering = ["badge_no"]
        constraints = [models.UniqueConstraint(fields=["brigade", "badge_no"], name="officer_unique_badge")]

    def __str__(self):
        return f"{self.name}（{self.badge_no}）"


class YearLock(models.Model):
    """A brigade's year whose annual report has been finalised: its records may not change
    until a legal officer unlocks it, with a reason. The history keeps every lock and unlock."""

    brigade = models.ForeignKey(
        Brigade, verbose_name="大队", on_delete=models.CASCADE, related_name="year_locks"
    )
    year = models.PositiveSmallIntegerField("年度")
    locked = models.BooleanField("已锁定", default=True)
    reason = models.CharField("原因", max_length=500)
    changed_by = models.ForeignKey(
        User, verbose_name="操作人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField("时间", auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "年度锁定"
        constraints = [models.UniqueConstraint(fields=["brigade", "year"], name="yearlock_unique")]

    def __str__(self):
        return f"{self.brigade} {self.year}年（{'已锁定' if self.locked else '已解锁'}）"


class MonthlyRollup(models.Model):
    """One brigade's indicator values for one ledger and one month, kept in the database next
    to the records they count (design: brigade/rollup.py). Derived data: no history, no admin."""

    brigade_id = models.IntegerField("大队")  # no constraint: a rollup never blocks deleting a brigade
    ledger = models.CharField("台账", max_length=100)  # the model's label, e.g. enforcement.violation
    month = models.DateField("月份")  # its first day
    version = models.BigIntegerField(default=0)  # moves each time a reader stores new values
    signature = models.CharField(max_length=40, default="")  # of the declarations the values are for
    totals = models.JSONField(null=True)  # indicator key → the month's value
    daily = models.JSONField(null=True)  # indicator key → {day: value}, days with a value only

    class Meta:
        verbose_name = verbose_name_plural = "月度统计"
        constraints = [
            models.UniqueConstraint(fields=["brigade_id", "ledger", "month"], name="rollup_unique_bucket")
        ]

    def __str__(self):
        return f"{self.ledger} {self.brigade_id} {self.month:%Y-%m}"


class RollupMark(models.Model):
    """A day of a brigade's ledger that a committed write touched after its rollup was stored;
    appended by the ledger tables' triggers, deleted by the reader that counts the day again."""

    brigade_id = models.IntegerField("大队")
    ledger = models.CharField("台账", max_length=100)
    month = models.DateField("月份")
    day = models.SmallIntegerField("日")

    class Meta:
        verbose_name = verbose_name_plural = "月度统计待更新标记"
        indexes = [models.Index(fields=["ledger", "brigade_id", "month"], name="rollupmark_bucket_idx")]

    def __str__(self):
        return f"{self.ledger} {self.brigade_id} {self.month:%Y-%m}-{self.day:02d}"


class ImportFingerprint(models.Model):
    """A file that was imported, or previewed with every row unchanged, and the brigade's
    records of that ledger as they were then (brigade.ledger.fingerprints): when the same file
    comes again and the records and everything the import reads are still the same, its preview
    is known without reading it. Derived data: kept in the database with the records it
    describes, so that a restore restores both together."""

    brigade = models.ForeignKey(Brigade, verbose_name="所属大队", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField("台账", max_length=20)
    sha256 = models.CharField("文件 SHA-256", max_length=64)
    signature = models.CharField("导入规则与名单的摘要", max_length=64)
    digest = models.CharField("记录摘要", max_length=80)
    rows = models.PositiveIntegerField("行数")
    recorded_at = models.DateTimeField("记录时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "已导入文件的指纹"
        constraints = [
            models.UniqueConstraint(
                fields=["brigade", "kind", "sha256"], name="import_fingerprint_unique_file"
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.sha256[:12]}"


class Job(models.Model):
    """One piece of work the worker does for a user (brigade.outputs): a ledger file imported, a
    large export, a PDF. One status set, one liveness rule, one progress page and one admin for
    every kind; what a kind does is declared by its producer (`outputs.producer`). Kept as the
    record of who asked for what; its file (an upload, a file made) is removed when done with."""

    class Status(models.TextChoices):
        CHECKING = "checking", "正在检查"  # an upload's preview, made by the worker
        PREVIEW = "preview", "待确认"
        REFUSED = "refused", "有错误，未导入"
        QUEUED = "queued", "排队等待"
        RUNNING = "running", "正在进行"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"
        ABANDONED = "abandoned", "已放弃"

    class Phase(models.TextChoices):
        CHECKING = "checking", "正在检查"
        WRITING = "writing", "正在写入"

    kind = models.CharField("类型", max_length=40, db_index=True)
    brigade = models.ForeignKey(
        Brigade, verbose_name="所属单位", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        User, verbose_name="申请人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who confirmed (or retried) an import: the records' history names them, not the uploader.
    confirmed_by = models.ForeignKey(
        User, verbose_name="确认人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField("名称", max_length=200, blank=True)
    params = models.JSONField("参数", default=dict, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.QUEUED)
    # What the worker is doing now (检查 or 写入), and how far of how much; shown while it runs.
    phase = models.CharField("进行到", max_length=10, choices=Phase.choices, blank=True)
    progress = models.PositiveIntegerField("已完成", default=0)
    total = models.PositiveIntegerField("总数", default=0)
    heartbeat_at = models.DateTimeField("最后报告时间", null=True, blank=True)
    file = models.FileField("文件", upload_to="outputs/%Y/%m/", blank=True, max_length=200)
    filename = models.CharField("文件名", max_length=255, blank=True)
    content_type = models.CharField("文件类型", max_length=100, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True, db_index=True)
    size = models.PositiveBigIntegerField("大小（字节）", default=0)
    result = models.JSONField("结果", default=dict, blank=True)
    message = models.TextField("说明", blank=True)
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "后台任务"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.title or self.filename}（{self.get_status_display()}）"

    def get_status_display(self) -> str:
        """The status in the words of the job's kind (已导入, 生成失败), as its producer declares."""
        from brigade import outputs

        return outputs.status_label(self)

    @property
    def ledger_kind(self) -> str:
        """An import's ledger (its `kind` in the declarations)."""
        return (self.params or {}).get("ledger", "")
