"""The laws a brigade studies, by their full titles and the short names clerks write them under
(docs/laws.md lists the same table; tests/reports/test_laws.py keeps the two equal).

A training record may name a law either way: 《中华人民共和国道路交通安全法》, 道路交通安全法, 道交法.
The report always names it by its full title in 书名号, and names 习近平法治思想 (not a law, the
guiding thought) on its own."""

import re

THOUGHT = "习近平法治思想"

# (full title, the other names it is written under). The longer of two overlapping names is
# matched first, so 道路交通安全法实施条例 is never read as 道路交通安全法.
LAWS: list[tuple[str, tuple[str, ...]]] = [
    ("中华人民共和国宪法", ("宪法",)),
    ("中华人民共和国道路交通安全法", ("道路交通安全法", "道交法")),
    ("中华人民共和国道路交通安全法实施条例", ("道路交通安全法实施条例", "道交法实施条例")),
    ("中华人民共和国行政处罚法", ("行政处罚法",)),
    ("中华人民共和国行政强制法", ("行政强制法",)),
    ("中华人民共和国行政许可法", ("行政许可法",)),
    ("中华人民共和国行政复议法", ("行政复议法",)),
    ("中华人民共和国行政诉讼法", ("行政诉讼法",)),
    ("中华人民共和国国家赔偿法", ("国家赔偿法",)),
    ("中华人民共和国治安管理处罚法", ("治安管理处罚法",)),
    ("中华人民共和国刑法", ("刑法",)),
    ("中华人民共和国民法典", ("民法典",)),
    ("中华人民共和国安全生产法", ("安全生产法",)),
    ("中华人民共和国个人信息保护法", ("个人信息保护法",)),
    ("中华人民共和国人民警察法", ("人民警察法",)),
    ("中华人民共和国公职人员政务处分法", ("公职人员政务处分法", "政务处分法")),
    ("道路交通安全违法行为处理程序规定", ("违法行为处理程序规定",)),
    ("道路交通事故处理程序规定", ("事故处理程序规定",)),
    ("公安机关办理行政案件程序规定", ("办理行政案件程序规定",)),
    ("公安机关办理刑事案件程序规定", ("办理刑事案件程序规定",)),
    ("机动车驾驶证申领和使用规定", ("驾驶证申领和使用规定",)),
    ("机动车登记规定", ()),
    ("公安机关人民警察执法过错责任追究规定", ("执法过错责任追究规定",)),
    ("法治政府建设实施纲要（2021-2025年）", ("法治政府建设实施纲要",)),
    ("优化营商环境条例", ()),
    ("信访工作条例", ()),
]

# Guiding documents on the list that are not laws: named, but not counted among 法律法规.
DOCUMENTS = {"法治政府建设实施纲要（2021-2025年）"}

_NAMES = sorted(
    ((name, title) for title, others in LAWS for name in (title, *others)), key=lambda pair: -len(pair[0])
)
_PATTERN = re.compile("|".join(re.escape(name) for name, _ in _NAMES))
_TITLE_OF = dict(_NAMES)
_OTHER_TITLE = re.compile(r"《([^《》]+)》")


def laws_named(text: str) -> list[str]:
    """The laws `text` names, as full titles in 书名号, in the order first named; a title in
    书名号 not on the list is kept as written (a local regulation, a notice).

    >>> laws_named("学习道路交通安全法及实施条例，道路交通安全法实施条例第十条，《湖南省道路交通安全条例》")
    ['《中华人民共和国道路交通安全法》', '《中华人民共和国道路交通安全法实施条例》', '《湖南省道路交通安全条例》']
    """
    found: dict[int, str] = {}
    covered = []  # the spans of titles in 书名号: a law named inside one is part of its title
    for match in _OTHER_TITLE.finditer(text):
        inner = match.group(1)
        found[match.start()] = f"《{_TITLE_OF[inner]}》" if inner in _TITLE_OF else match.group()
        covered.append(range(match.start(), match.end()))
    for match in _PATTERN.finditer(text):
        if not any(match.start() in span for span in covered):
            found.setdefault(match.start(), f"《{_TITLE_OF[match.group()]}》")
    return list(dict.fromkeys(found[at] for at in sorted(found)))
