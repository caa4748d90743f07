"""Mediation: accidents and their mediation, police calls, and complaints (docs/ledgers.md,
mediation/). The Excel header of each column is the field's verbose_name."""

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from brigade import rules
from brigade.models import LedgerRecord


class AccidentCase(LedgerRecord):
    class Severity(models.TextChoices):
        MINOR = "轻微事故", "轻微事故"
        ORDINARY = "一般事故", "一般事故"
        MAJOR = "重大事故", "重大事故"
        CATASTROPHIC = "特大事故", "特大事故"

    class Procedure(models.TextChoices):
        QUICK = "快处快赔", "快处快赔"
        SIMPLE = "简易程序", "简易程序"
        ORDINARY = "一般程序", "一般程序"

    class MediationMethod(models.TextChoices):
        ON_SITE = "现场调解", "现场调解"
        BRIGADE = "大队调解", "大队调解"
        PEOPLES_COMMITTEE = "人民调解委员会", "人民调解委员会"
        COURT = "诉调对接", "诉调对接"
        INSURER = "保险直赔", "保险直赔"
        NONE = "未调解", "未调解"

    class MediationResult(models.TextChoices):
        SUCCESS = "调解成功", "调解成功"
        FAILED = "调解未成功", "调解未成功"
        NOT_REQUESTED = "未申请调解", "未申请调解"
        LITIGATION = "转诉讼", "转诉讼"

    case_no = models.CharField("事故编号", max_length=40)
    occurred_at = models.DateTimeField("事故时间", validators=[rules.not_in_future])
    severity = models.CharField("事故等级", max_length=10, choices=Severity.choices)
    procedure = models.CharField("处理程序", max_length=10, choices=Procedure.choices)
    mediation_method = models.CharField("调解方式", max_length=10, choices=MediationMethod.choices)
    mediation_result = models.CharField("调解结果", max_length=10, choices=MediationResult.choices)
    compensation = models.DecimalField(
        "赔偿金额", max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    closed_date = models.DateField("结案日期", null=True, blank=True, validators=[rules.not_in_future])
    location = models.CharField("事故地点", max_length=200, blank=True)
    history = HistoricalRecords()

    row_rules = (rules.NotBefore("closed_date", "occurred_at", "结案日期不能早于事故时间"),)

    class Meta:
        verbose_name = verbose_name_plural = "事故处理与调解"
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["brigade", "occurred_at"])]
        constraints = [models.UniqueConstraint(fields=["brigade", "case_no"], name="accident_unique_case_no")]

    def __str__(self):
        return self.case_no


class FollowUp(models.TextChoices):
    SATISFIED = "满意", "满意"
    MOSTLY = "基本满意", "基本满意"
    UNSATISFIED = "不满意", "不满意"
    NONE = "未回访", "未回访"


class PoliceCall(LedgerRecord):
    class Category(models.TextChoices):
        ACCIDENT = "交通事故", "交通事故"
        CONGESTION = "交通拥堵", "交通拥堵"
        REPORT = "违法举报", "违法举报"
        HELP = "群众求助", "群众求助"
        OTHER = "其他", "其他"

    call_no = models.CharField("警情编号", max_length=40, blank=True)
    received_at = models.DateTimeField("接警时间", validators=[rules.not_in_future])
    category = models.CharField("警情类别", max_length=10, choices=Category.choices)
    outcome = models.CharField("处置结果", max_length=200, blank=True)
    follow_up = models.CharField("回访结果", max_length=10, choices=FollowUp.choices)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "接处警"
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["brigade", "received_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["brigade", "call_no"], condition=~Q(call_no=""), name="call_unique_call_no"
            )
        ]

    def __str__(self):
        return self.call_no or f"{self.received_at:%Y-%m-%d %H:%M} {self.category}"


class Complaint(LedgerRecord):
    class Channel(models.TextChoices):
        HOTLINE = "12345热线", "12345热线"
        PETITION = "信访", "信访"
        ONLINE = "网络平台", "网络平台"
        PHONE = "电话", "电话"
        LETTER = "来信", "来信"
        IN_PERSON = "现场", "现场"
        REFERRED = "上级转办", "上级转办"

    class Category(models.TextChoices):
        ENFORCEMENT = "执法投诉", "执法投诉"
        ORDER = "交通秩序", "交通秩序"
        ACCIDENT = "事故处理", "事故处理"
        SERVICE = "服务态度", "服务态度"
        OTHER = "其他", "其他"

    class Satisfaction(models.TextChoices):
        SATISFIED = "满意", "满意"
        MOSTLY = "基本满意", "基本满意"
        UNSATISFIED = "不满意", "不满意"
        NONE = "未评价", "未评价"

    number = models.CharField("编号", max_length=40, blank=True)
    received_date = models.DateField("受理日期", validators=[rules.not_in_future])
    channel = models.CharField("来源渠道", max_length=10, choices=Channel.choices)
    category = models.CharField("类别", max_length=10, choices=Category.choices)
    summary = models.TextField("内容摘要", max_length=1000, blank=True)
    closed_date = models.DateField("办结日期", null=True, blank=True, validators=[rules.not_in_future])
    satisfaction = models.CharField("群众满意度", max_length=10, choices=Satisfaction.choices)
    history = HistoricalRecords()

    row_rules = (rules.NotBefore("closed_date", "received_date", "办结日期不能早于受理日期"),)

    class Meta:
        verbose_name = verbose_name_plural = "投诉举报"
        ordering = ["-received_date", "-id"]
        indexes = [models.Index(fields=["brigade", "received_date"])]
        constraints = [
            models.UniqueConstraint(
                fields=["brigade", "number"], condition=~Q(number=""), name="complaint_unique_number"
            )
        ]

    def __str__(self):
        return self.number or f"{self.received_date:%Y-%m-%d} {self.category}"
