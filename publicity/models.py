"""Publicity: law-education events and published works (docs/ledgers.md, publicity/). The Excel
header of each column is the field's verbose_name."""

from django.core.validators import MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from brigade import rules
from brigade.models import LedgerRecord


class PublicityEvent(LedgerRecord):
    class Kind(models.TextChoices):
        ENTERPRISES = "进企业", "进企业"
        SCHOOLS = "进校园", "进校园"
        VILLAGES = "进农村", "进农村"
        COMMUNITIES = "进社区", "进社区"
        DRIVING_SCHOOLS = "进驾校", "进驾校"
        FAMILIES = "进家庭", "进家庭"
        OFFICES = "进机关", "进机关"
        TALK = "主题宣讲", "主题宣讲"
        CAMPAIGN = "集中宣传", "集中宣传"
        WARNING = "警示教育", "警示教育"
        EXPOSURE = "媒体曝光", "媒体曝光"

    class Audience(models.TextChoices):
        PROFESSIONAL_DRIVERS = "职业驾驶人", "职业驾驶人"
        PUPILS = "中小学生", "中小学生"
        ELDERLY = "老年人", "老年人"
        MIGRANT_WORKERS = "进城务工人员", "进城务工人员"
        E_BIKE_RIDERS = "电动自行车驾驶人", "电动自行车驾驶人"
        PUBLIC = "一般群众", "一般群众"

    date = models.DateField("活动日期", validators=[rules.not_in_future])
    name = models.CharField("活动名称", max_length=200)
    kind = models.CharField("活动形式", max_length=10, choices=Kind.choices)
    audience = models.CharField("对象群体", max_length=10, choices=Audience.choices)
    place = models.CharField("地点", max_length=200, blank=True)
    attendees = models.PositiveIntegerField("受教育人数")
    materials = models.PositiveIntegerField("发放资料份数", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "宣传活动"
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["brigade", "date"])]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}"


class MediaWork(LedgerRecord):
    class Kind(models.TextChoices):
        SHORT_VIDEO = "短视频", "短视频"
        MICRO_FILM = "微电影", "微电影"
        WARNING_FILM = "警示教育片", "警示教育片"
        NEWS = "新闻稿件", "新闻稿件"
        SAFETY_TIP = "安全提示信息", "安全提示信息"
        PICTURE_TEXT = "图文", "图文"

    class Platform(models.TextChoices):
        WECHAT = "微信公众号", "微信公众号"
        DOUYIN = "抖音", "抖音"
        WEIBO = "微博", "微博"
        KUAISHOU = "快手", "快手"
        CHANNELS = "视频号", "视频号"
        TV = "电视台", "电视台"
        RADIO = "广播电台", "广播电台"
        NEWSPAPER = "报纸", "报纸"
        SMS = "短信", "短信"

    date = models.DateField("发布日期", validators=[rules.not_in_future])
    title = models.CharField("标题", max_length=200)
    kind = models.CharField("作品类型", max_length=10, choices=Kind.choices)
    platform = models.CharField("发布平台", max_length=10, choices=Platform.choices)
    # One row may stand for many identical items, e.g. 安全提示信息 ×1600 by SMS.
    quantity = models.PositiveIntegerField("数量", blank=True, default=1, validators=[MinValueValidator(1)])
    views = models.PositiveBigIntegerField("播放阅读量", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "宣传作品"
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["brigade", "date"])]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.title}"
