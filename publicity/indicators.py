"""Publicity indicators (docs/figures.md): events by form and their reach; media works by type."""

from django.db.models import Q

from brigade.figures import OUTCOME, count, register, total
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

EVENTS_BY = ("kind", "audience")
MEDIA_BY = ("kind", "platform")

# How many events and works there are depends on how the work is packaged (one large event or
# several small ones; 1,600 safety tips in one row): a workload. Whom they reach is the outcome.
register(
    count(
        "events.total",
        "开展各类宣传活动",
        PublicityEvent,
        unit="场次",
        by=EVENTS_BY,
        why="场次取决于活动怎样组织（一场大型或几场小型），多少不分好坏；覆盖面看受教育群众人次",
    ),
    *[
        count(
            f"events.{kind.name.lower()}",
            kind.value,
            PublicityEvent,
            Q(kind=kind),
            unit="场次",
            by=("audience",),
        )
        for kind in PublicityEvent.Kind
    ],
    total(
        "events.attendees",
        "受教育群众",
        PublicityEvent,
        "attendees",
        unit="人次",
        by=EVENTS_BY,
        kind=OUTCOME,
        better=True,
        why="受教育群众人次是普法宣传覆盖的人群，是宣传的成效，越多越好",
    ),
    total(
        "events.materials",
        "发放宣传资料",
        PublicityEvent,
        "materials",
        unit="份",
        by=EVENTS_BY,
        why="发放资料是投入而不是成效，线上宣传增多时纸质资料减少是正常的",
    ),
    total(
        "media.total",
        "发布各类宣传作品",
        MediaWork,
        "quantity",
        unit="件",
        by=MEDIA_BY,
        why="件数以安全提示信息的条数为主，随推送方式而变，多少不分好坏",
    ),
    *[
        total(
            f"media.{kind.name.lower()}",
            kind.value,
            MediaWork,
            "quantity",
            Q(kind=kind),
            unit=MEDIA_UNITS[kind],
            by=("platform",),
        )
        for kind in MediaWork.Kind
    ],
    total(
        "media.views",
        "播放阅读量",
        MediaWork,
        "views",
        unit="次",
        by=MEDIA_BY,
        kind=OUTCOME,
        better=True,
        why="播放阅读量是网络宣传触达群众的人次，是宣传的成效，越多越好",
    ),
)
