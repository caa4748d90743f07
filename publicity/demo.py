"""Demo records of the publicity ledgers: ~150–300 law-education events and ~200 published works
a year, among them one row of traffic-safety text messages sent by the thousand."""

import datetime

from brigade.demo import random_day
from publicity.models import MediaWork, PublicityEvent

# 活动形式: (weight, [对象群体], [活动名称], [地点], 受教育人数 range)
EVENTS = {
    "进企业": (14, ["职业驾驶人", "进城务工人员"], ["运输企业安全例会宣讲", "重点车辆驾驶人安全教育"],
              ["县汽车站", "潇湘运输公司", "县工业园区", "水泥厂"], (20, 120)),
    "进校园": (18, ["中小学生"], ["“开学第一课”交通安全教育", "“小手拉大手”交通安全宣传", "暑期交通安全提示"],
              ["县第一中学", "县第二中学", "泷泊镇中心小学", "江村镇中学", "县实验小学"], (100, 900)),
    "进农村": (22, ["老年人", "电动自行车驾驶人", "一般群众"], ["农村交通安全劝导", "“美丽乡村·平安出行”宣传"],
              ["江村镇圩场", "五里牌镇集镇", "茶林镇", "何家洞镇", "理家坪乡", "打鼓坪乡"], (30, 300)),
    "进社区": (10, ["老年人", "一般群众"], ["社区交通安全讲座", "文明交通进社区"],
              ["潇水社区", "紫金社区", "双峰社区"], (30, 200)),
    "进驾校": (6, ["职业驾驶人", "一般群众"], ["驾校学员交通安全第一课"], ["双牌县驾驶培训学校", "潇湘驾校"], (40, 200)),
    "进家庭": (4, ["一般群众"], ["交通安全知识入户宣传"], ["泷泊镇", "江村镇"], (10, 80)),
    "进机关": (4, ["一般群众"], ["机关干部文明交通宣讲"], ["县政府机关", "县教育局"], (30, 150)),
    "主题宣讲": (8, ["一般群众", "职业驾驶人"], ["“全国交通安全日”主题宣讲", "“美丽乡村路”主题宣讲"],
                ["县文化广场", "县会议中心"], (50, 500)),
    "集中宣传": (8, ["一般群众", "电动自行车驾驶人"], ["“一盔一带”集中宣传", "“122全国交通安全日”集中宣传"],
                ["县文化广场", "县城步行街"], (200, 1500)),
    "警示教育": (5, ["职业驾驶人", "电动自行车驾驶人"], ["事故案例警示教育", "酒驾醉驾警示教育"],
                ["大队警示教育室", "县汽车站"], (20, 150)),
    "媒体曝光": (1, ["一般群众"], ["曝光一批典型交通违法行为"], ["县融媒体中心"], (0, 0)),
}  # fmt: skip

# 作品类型: (works a year, [(发布平台, weight)], [标题], 播放阅读量 range or None)
MEDIA = {
    "短视频": (80, [("抖音", 5), ("快手", 2), ("视频号", 3)],
               ["夜查酒驾现场", "电动车戴头盔的正确方式", "雨天行车注意事项", "交警蜀黍提醒您"], (1_000, 300_000)),
    "新闻稿件": (60, [("微信公众号", 6), ("报纸", 2), ("电视台", 2)],
                 ["双牌交警开展集中整治行动", "双牌交警护航高考", "双牌交警圆满完成春运安保任务"], (300, 20_000)),
    "图文": (50, [("微信公众号", 6), ("微博", 4)], ["交通安全提示", "节假日出行提示", "曝光台"], (200, 15_000)),
    "微电影": (2, [("抖音", 1), ("视频号", 1)], ["《回家的路》", "《一盔一带》"], (5_000, 120_000)),
    "警示教育片": (4, [("电视台", 1), ("微信公众号", 1)], ["酒驾的代价", "生命只有一次"], (2_000, 50_000)),
    "安全提示信息": (3, [("微信公众号", 1)], ["恶劣天气出行安全提示"], (500, 5_000)),
}  # fmt: skip


def populate(*, brigade, years, today, rng, save):
    """Fill the publicity ledgers for `years`; `save(model, objs)` writes with history."""
    events, media = [], []
    for year in years:
        share_of_year = ((min(datetime.date(year, 12, 31), today) - datetime.date(year, 1, 1)).days + 1) / 365
        events += _events(brigade, year, today, rng, round(rng.uniform(150, 300) * share_of_year))
        media += _media(brigade, year, today, rng, share_of_year)
    save(PublicityEvent, events)
    save(MediaWork, media)


def _events(brigade, year, today, rng, volume):
    weights = {kind: spec[0] * rng.uniform(0.7, 1.4) for kind, spec in EVENTS.items()}
    records = []
    for kind in rng.choices(list(weights), weights=list(weights.values()), k=volume):
        _w, audiences, names, places, (low, high) = EVENTS[kind]
        attendees = rng.randint(low, high)
        records.append(
            PublicityEvent(
                brigade=brigade,
                date=random_day(rng, year, today),
                name=rng.choice(names),
                kind=kind,
                audience=rng.choice(audiences),
                place=rng.choice(places),
                attendees=attendees,
                materials=attendees * rng.randint(1, 3) if rng.random() < 0.8 and attendees else None,
            )
        )
    return records


def _media(brigade, year, today, rng, share_of_year):
    records = []
    for kind, (per_year, platforms, titles, views) in MEDIA.items():
        for _ in range(max(1, round(per_year * share_of_year * rng.uniform(0.75, 1.3)))):
            platform = rng.choices([p for p, _ in platforms], weights=[w for _, w in platforms])[0]
            shown = platform not in ("电视台", "报纸", "广播电台")
            records.append(
                MediaWork(
                    brigade=brigade,
                    date=random_day(rng, year, today),
                    title=rng.choice(titles),
                    kind=kind,
                    platform=platform,
                    views=rng.randint(*views) if shown else None,
                )
            )
    # The year's text messages, sent through the carriers, are one row counted by the thousand.
    records.append(
        MediaWork(
            brigade=brigade,
            date=random_day(rng, year, today),
            title=f"{year}年交通安全提示短信",
            kind="安全提示信息",
            platform="短信",
            quantity=round(rng.uniform(1_400, 1_800) * share_of_year),
        )
    )
    return records
