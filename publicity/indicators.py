"""Publicity indicators (docs/figures.md): events by form and their reach; media works by type."""

from django.db.models import Q

from brigade.figures import count, register, total
from publicity.models import MediaWork, PublicityEvent

# How official prose counts each kind of work: 短视频3部, 新闻稿件12篇, 安全提示信息300条.
MEDIA_UNITS = {
    MediaWork.Kind.SHORT_VIDEO: "部",
    MediaWork.Kind.MICRO_FILM: "部",
    MediaWork.Kind.WARNING_FILM: "部",
    MediaWork.Kind.NEWS: "篇",
    MediaWork.Kind.SAFETY_TIP: "条",
    MediaWork.Kind.PICTURE_TEXT: "篇",
}

register(
    count("events.total", "开展各类宣传活动", PublicityEvent, unit="场次", better=True),
    *[
        count(
            f"events.{kind.name.lower()}",
            kind.value,
            PublicityEvent,
            Q(kind=kind),
            unit="场次",
        )
        for kind in PublicityEvent.Kind
    ],
    total("events.attendees", "受教育群众", PublicityEvent, "attendees", unit="人次", better=True),
    total("events.materials", "发放宣传资料", PublicityEvent, "materials", unit="份", better=True),
    total("media.total", "发布各类宣传作品", MediaWork, "quantity", unit="件", better=True),
    *[
        total(
            f"media.{kind.name.lower()}",
            kind.value,
            MediaWork,
            "quantity",
            Q(kind=kind),
            unit=MEDIA_UNITS[kind],
        )  # fmt: skip
        for kind in MediaWork.Kind
    ],
    total("media.views", "播放阅读量", MediaWork, "views", unit="次", better=True),
)
