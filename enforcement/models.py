"""Enforcement: the violations a brigade handles, its campaigns (专项行动) and the supervision of
its own enforcement (docs/ledgers.md, enforcement/). The Excel header of each column is the field's
verbose_name."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from brigade import rules
from brigade.models import LedgerRecord


class ViolationType(models.Model):
    """The list of violation types (reference data, extended by the admin). `group` is what the
    annual report counts together, e.g. 酒后驾驶 + 醉酒驾驶 = 酒醉驾."""

    class Group(models.TextChoices):
        DRINK = "酒醉驾", "酒醉驾"
        OVERLOAD = "超载超员", "超载超员"
        HELMET = "不戴头盔", "不戴头盔"
        PLATE_LICENCE = "涉牌涉证", "涉牌涉证"

    name = models.CharField("名称", max_length=50, unique=True)
    group = models.CharField("统计分组", max_length=10, choices=Group.choices, blank=True)
    ordering = models.PositiveSmallIntegerField("排序", default=100)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "违法行为类型"
        ordering = ["ordering", "id"]

    def __str__(self):
        return self.name


class Campaign(LedgerRecord):
    class Kind(models.TextChoices):
        CONCENTRATED = "集中整治", "集中整治"
        UNIFIED = "统一行动", "统一行动"
        SPECIAL = "专项整治", "专项整治"
        HUNDRED_DAYS = "百日行动", "百日行动"
        JOINT = "联合执法", "联合执法"

    name = models.CharField("行动名称", max_length=200)
    start_date = models.DateField("开始日期", validators=[rules.not_in_future])
    # No not_in_future: a campaign under way may be planned to end after today.
    end_date = models.DateField("结束日期", null=True, blank=True)
    kind = models.CharField("行动类型", max_length=10, choices=Kind.choices)
    partners = models.CharField("联合部门", max_length=200, blank=True, help_text="如：交通运输局")
    officers = models.PositiveIntegerField("出动警力人次")
    batches = models.PositiveIntegerField("批次", blank=True, default=1, validators=[MinValueValidator(1)])
    history = HistoricalRecords()

    row_rules = (rules.NotBefore("end_date", "start_date", "结束日期不能早于开始日期"),)

    class Meta:
        verbose_name = verbose_name_plural = "专项行动"
        ordering = ["-start_date", "-id"]
        indexes = [models.Index(fields=["brigade", "start_date"])]
        constraints = [
            models.UniqueConstraint(fields=["brigade", "name", "start_date"], name="campaign_unique_key")
        ]

    def __str__(self):
        return self.name


class Violation(LedgerRecord):
    class Method(models.TextChoices):
        ON_SITE = "现场", "现场"
        OFF_SITE = "非现场", "非现场"

    class Outcome(models.TextChoices):
        FINE = "罚款", "罚款"
        WARNING = "警告", "警告"
        NO_PENALTY = "不予处罚", "不予处罚"
        LIGHTER = "从轻处罚", "从轻处罚"
        MITIGATED = "减轻处罚", "减轻处罚"
        DETENTION = "行政拘留", "行政拘留"
        REVOCATION = "吊销驾驶证", "吊销驾驶证"
        CRIMINAL = "移送追究刑事责任", "移送追究刑事责任"

    decision_no = models.CharField("决定书编号", max_length=40)
    occurred_at = models.DateTimeField("违法时间", validators=[rules.not_in_future])
    # No index of its own: figures group by type within (brigade, time), which has one; an index
    # here would slow every large import to speed up only deleting a type in the admin.
    violation_type = models.ForeignKey(
        ViolationType, verbose_name="违法行为", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    method = models.CharField("执法方式", max_length=10, choices=Method.choices)
    outcome = models.CharField("处理结果", max_length=10, choices=Outcome.choices)
    fine = models.DecimalField(
        "罚款金额", max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    points = models.PositiveSmallIntegerField(
        "记分", null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(12)]
    )
    location = models.CharField("违法地点", max_length=200, blank=True)
    plate = models.CharField("号牌号码", max_length=20, blank=True)
    officer = models.CharField("执勤民警", max_length=50, blank=True)
    # A campaign that violations name cannot be deleted: that would rewrite those records (some
    # perhaps of a finalised year) without a trace in their history.
    campaign = models.ForeignKey(
        Campaign,
        verbose_name="专项行动",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # most violations belong to no campaign: see the partial index below
    )
    # A year's platform export is imported at once: the history table keeps only the indexes its
    # pages use (by record and by date), not one per foreign key.
    history = HistoricalRecords(no_db_index=["brigade", "violation_type", "campaign"])

    row_rules = (
        rules.PositiveWhen("fine", "outcome", ("罚款",), "处理结果为罚款时，罚款金额必须填写且大于0"),
        rules.EmptyWhen(
            "fine", "outcome", ("警告", "不予处罚"), "处理结果为警告或不予处罚时，罚款金额应为空或0"
        ),
    )

    class Meta:
        verbose_name = verbose_name_plural = "违法查处"
        ordering = ["-occurred_at", "-id"]
        indexes = [
            # Covering (PostgreSQL): the figures' monthly counts and the lists' filtered counts read
            # the index alone, not a million table rows.
            models.Index(
                fields=["brigade", "occurred_at"],
                include=["violation_type", "method", "outcome"],
                name="violation_brigade_time_idx",
            ),
            models.Index(
                fields=["campaign"], condition=models.Q(campaign__isnull=False), name="violation_campaign_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["brigade", "decision_no"], name="violation_unique_decision_no")
        ]

    def __str__(self):
        return self.decision_no


class SupervisionCheck(LedgerRecord):
    class Kind(models.TextChoices):
        ONLINE_PATROL = "网上执法巡查", "网上执法巡查"
        ON_SITE = "现场执法检查", "现场执法检查"
        QUALITY = "执法质量考评", "执法质量考评"
        CASE_FILES = "案卷评查", "案卷评查"
        BODY_CAMERA = "执法记录仪检查", "执法记录仪检查"
        CASE_REVIEW = "案件审核会商", "案件审核会商"
        CALL_BACK = "警情回访", "警情回访"

    date = models.DateField("日期", validators=[rules.not_in_future])
    kind = models.CharField("监督类型", max_length=10, choices=Kind.choices)
    checked = models.PositiveIntegerField("检查数量", help_text="条、卷或起")
    passed = models.PositiveIntegerField("合格数量", null=True, blank=True)
    problems_found = models.PositiveIntegerField("发现问题")
    problems_fixed = models.PositiveIntegerField("整改问题")
    notices = models.PositiveIntegerField("下发通报", help_text="期")
    note = models.TextField("备注", max_length=1000, blank=True)
    history = HistoricalRecords()

    row_rules = (
        rules.NotMore("passed", "checked", "合格数量不能多于检查数量"),
        rules.NotMore("problems_fixed", "problems_found", "整改问题不能多于发现问题"),
    )

    class Meta:
        verbose_name = verbose_name_plural = "执法监督"
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["brigade", "date"])]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.kind}"
