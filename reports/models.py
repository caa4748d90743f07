"""The annual report 《关于{Y}年法治政府建设情况的报告》 of a brigade: its head, its sections (drafted
from the indicators, edited by the legal officer), its workflow and, once final, its exact bytes."""

from django.db import models
from simple_history.models import HistoricalRecords

from brigade.models import Brigade, User


class ReportTemplate(models.Model):
    """A brigade's own Word template (letterhead, red line) using the documented variables."""

    brigade = models.ForeignKey(
        Brigade, verbose_name="大队", on_delete=models.CASCADE, related_name="report_templates"
    )
    name = models.CharField("名称", max_length=100)
    content = models.BinaryField("模板文件")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        User, verbose_name="上传人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["content"])

    class Meta:
        verbose_name = verbose_name_plural = "报告模板"
        ordering = ["-uploaded_at"]

    def __str__(self):
        return self.name


class AnnualReport(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        REVIEW = "review", "待审核"
        FINAL = "final", "已定稿"

    brigade = models.ForeignKey(
        Brigade, verbose_name="大队", on_delete=models.PROTECT, related_name="annual_reports"
    )
    # Which declared document this is (reports/documents.py) and the days it reports on (first and
    # last, both included); `year` is the year those days fall in, the year finalising locks.
    kind = models.CharField("文书种类", max_length=30, default="annual")
    period_start = models.DateField("起始日期")
    period_end = models.DateField("截止日期")
    year = models.PositiveSmallIntegerField("年度")
    title = models.CharField("标题", max_length=200)
    doc_number = models.CharField("发文字号", max_length=50, blank=True, help_text="如：双公交〔2026〕3号")
    signer = models.CharField("签发人", max_length=30, blank=True)
    addressee = models.CharField("主送机关", max_length=100)
    issuer = models.CharField("落款（发文机关署名）", max_length=100)
    date = models.DateField("成文日期")
    opening = models.TextField("开头段")
    closing = models.CharField("结束语", max_length=50, default="特此报告。")
    template = models.ForeignKey(
        ReportTemplate,
        verbose_name="Word模板",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="留空则使用系统默认模板（GB/T 9704）",
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.DRAFT)
    status_reason = models.CharField("状态变更理由", max_length=500, blank=True)
    stale_at_submit = models.PositiveSmallIntegerField(
        "提交时数字未更新的句数",
        null=True,
        blank=True,
        editable=False,
        help_text="提交领导签发时，报告中数字与最新台账不一致且未记录理由的句数（reports/stale.py）",
    )
    final_docx = models.BinaryField("定稿文件", null=True, editable=False)
    final_sha256 = models.CharField("定稿文件SHA-256", max_length=64, blank=True, editable=False)
    final_figures = models.JSONField("定稿所用指标", default=dict, blank=True, editable=False)
    finalised_at = models.DateTimeField("定稿时间", null=True, blank=True, editable=False)
    finalised_by = models.ForeignKey(
        User,
        verbose_name="定稿人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    history = HistoricalRecords(excluded_fields=["final_docx"])

    class Meta:
        verbose_name = verbose_name_plural = "年度报告"
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["brigade", "kind", "period_start", "period_end"], name="annualreport_unique_period"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="annualreport_period_order"
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_final(self) -> bool:
        return self.status == self.Status.FINAL

    @property
    def document(self):
        """This document's declaration (reports/documents.py)."""
        from reports import documents

        return documents.get(self.kind)


class ReportSection(models.Model):
    """One heading of the report and its text. `draft` is the text the software drafted last time
    the officer took its figures; `body` is what the report says (the officer's edits included)."""

    report = models.ForeignKey(
        AnnualReport, verbose_name="报告", on_delete=models.CASCADE, related_name="sections"
    )
    key = models.CharField("标识", max_length=30)
    order = models.PositiveSmallIntegerField("顺序")
    level = models.PositiveSmallIntegerField("层级", help_text="1：一、二、……；2：（一）（二）……")
    title = models.CharField("标题", max_length=200)
    body = models.TextField("正文", blank=True, help_text="每段一行")
    draft = models.TextField("系统起草稿", blank=True, editable=False)
    drafted = models.BooleanField("由系统根据台账起草", default=False, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "报告章节"
        ordering = ["order"]
        constraints = [models.UniqueConstraint(fields=["report", "key"], name="reportsection_unique_key")]

    def __str__(self):
        return self.title

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.body.splitlines() if p.strip()]


class FinalVersion(models.Model):
    """One finalised document of a report, kept for good: un-finalising and finalising again
    adds a version and never replaces one, so what was sent can always be produced again."""

    report = models.ForeignKey(
        AnnualReport, verbose_name="报告", on_delete=models.PROTECT, related_name="final_versions"
    )
    number = models.PositiveSmallIntegerField("版本")
    docx = models.BinaryField("定稿文件")
    sha256 = models.CharField("SHA-256", max_length=64)
    figures = models.JSONField("所用指标", default=dict)
    finalised_at = models.DateTimeField("定稿时间")
    finalised_by = models.ForeignKey(
        User, verbose_name="定稿人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField("撤销定稿时间", null=True, blank=True)
    withdrawn_reason = models.CharField("撤销定稿理由", max_length=500, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "定稿版本"
        ordering = ["report", "number"]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="finalversion_unique_number")
        ]

    def __str__(self):
        return f"{self.report} 第{self.number}版"


class WarningDismissal(models.Model):
    """A data-check warning (reports/quality.py) the brigade's legal officer dismissed, with the
    reason. It is tied to the warning's identity (kind, ledger, month or key or rule) and to
    what the warning found then (`fingerprint`): when that changes, the warning shows again.
    Restoring deletes it; the history keeps both acts and who did them."""

    brigade = models.ForeignKey(
        Brigade, verbose_name="大队", on_delete=models.CASCADE, related_name="warning_dismissals"
    )
    year = models.PositiveSmallIntegerField("年度")
    warning_id = models.CharField("提示标识", max_length=255)
    fingerprint = models.CharField("忽略时的情况", max_length=100)
    text = models.TextField("提示内容")
    reason = models.CharField("忽略理由", max_length=500)
    dismissed_by = models.ForeignKey(
        User, verbose_name="忽略人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    dismissed_at = models.DateTimeField("忽略时间")
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "已忽略的数据检查提示"
        ordering = ["-dismissed_at"]
        constraints = [
            models.UniqueConstraint(fields=["brigade", "year", "warning_id"], name="warningdismissal_unique")
        ]

    def __str__(self):
        return f"{self.brigade} {self.year}年：{self.text[:30]}"


class PublicEdition(models.Model):
    """The 保密审查 of a finalised report's public edition (公开版): who confirmed the checklist
    and when, for which finalised document (its SHA-256: finalising again needs a new review),
    and whether the 发文字号 and 签发人 stay in it. Only a confirmed edition is downloaded."""

    report = models.ForeignKey(
        AnnualReport, verbose_name="报告", on_delete=models.CASCADE, related_name="public_editions"
    )
    final_sha256 = models.CharField("所审定稿文件SHA-256", max_length=64)
    keep_doc_number = models.BooleanField("保留发文字号", default=False)
    keep_signer = models.BooleanField("保留签发人", default=False)
    checklist = models.JSONField("确认的审查项", default=list)
    flags = models.JSONField("自动检查发现的内容", default=list, blank=True)
    confirmed_by = models.ForeignKey(
        User, verbose_name="确认人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField("确认时间")
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "公开版保密审查"
        ordering = ["-confirmed_at"]
        constraints = [
            models.UniqueConstraint(fields=["report", "final_sha256"], name="publicedition_unique_version")
        ]

    def __str__(self):
        return f"{self.report}（公开版）"


class PublicFlagOverride(models.Model):
    """One flag of the public edition's automatic check (reports/public.py) that the legal
    officer or a leader decided may be published as it stands, with the reason: who, when, and
    the text flagged, for one finalised document (its SHA-256: signed again, flagged again).
    A flag is otherwise resolved by changing the text. The history keeps every act."""

    report = models.ForeignKey(
        AnnualReport, verbose_name="报告", on_delete=models.CASCADE, related_name="public_flag_overrides"
    )
    final_sha256 = models.CharField("所审定稿文件SHA-256", max_length=64)
    flag_id = models.CharField("提示标识", max_length=64)
    kind = models.CharField("提示类别", max_length=20)
    found = models.CharField("提示的内容", max_length=200)
    sentence = models.TextField("所在句子")
    reason = models.CharField("可以公开的理由", max_length=500)
    overridden_by = models.ForeignKey(
        User, verbose_name="确认人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    overridden_at = models.DateTimeField("确认时间")
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "公开版自动检查提示的处理"
        ordering = ["-overridden_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "final_sha256", "flag_id"], name="publicflagoverride_unique"
            )
        ]

    def __str__(self):
        return f"{self.report}：{self.found}"


class FigureAcknowledgement(models.Model):
    """Why a sentence of the report keeps figures the ledger no longer gives (reports/stale.py):
    recorded by the legal officer instead of taking the new figures, e.g. “该数字按某某口径核定”.
    It counts only while the ledger still gives the figures it was recorded against (`ledger`)
    and the report still says that sentence: when either changes, the sentence blocks 签发 again."""

    report = models.ForeignKey(
        AnnualReport, verbose_name="报告", on_delete=models.CASCADE, related_name="figure_acknowledgements"
    )
    section_key = models.CharField("章节", max_length=30)
    sentence = models.TextField("报告中的句子", blank=True)
    fresh_sentence = models.TextField("按最新台账起草的句子", blank=True)
    stated = models.JSONField("报告中的数字", default=list)
    ledger = models.JSONField("最新台账给出的数字", default=list)
    reason = models.CharField("保留原数字的理由", max_length=500)
    acknowledged_by = models.ForeignKey(
        User, verbose_name="记录人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField("记录时间")
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "保留原数字的理由"
        ordering = ["-acknowledged_at"]

    def __str__(self):
        return f"{self.report}：{self.sentence[:30]}"


class UnfinaliseRequest(models.Model):
    """A legal officer's request to undo a finalised report (撤销定稿), with the reason: only the
    unit's leader may undo it, or decline with a reason of their own. At most one is pending."""

    class Decision(models.TextChoices):
        PENDING = "pending", "待领导处理"
        GRANTED = "granted", "已撤销定稿"
        DECLINED = "declined", "领导不同意"

    report = models.ForeignKey(
        AnnualReport, verbose_name="报告", on_delete=models.CASCADE, related_name="unfinalise_requests"
    )
    reason = models.CharField("申请理由", max_length=500)
    requested_by = models.ForeignKey(
        User, verbose_name="申请人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField("申请时间")
    decision = models.CharField("处理结果", max_length=10, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(
        User, verbose_name="处理人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)
    decision_reason = models.CharField("处理理由", max_length=500, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "撤销定稿申请"
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["report"],
                condition=models.Q(decision="pending"),
                name="unfinaliserequest_one_pending",
            )
        ]

    def __str__(self):
        return f"{self.report}：申请撤销定稿"
