"""What is wrong with a template's tags, in Chinese, naming the paragraph: Jinja's own syntax
errors translated (never shown in English), and a linear scan of the tags that runs before
docxtpl's preprocessing.

docxtpl's preprocessing is a series of regular expressions over the part's XML; some of them
backtrack over the rest of the document from every unclosed ``{{`` (a 24.5 kB template of
``"{{ x " * 40000`` kept it busy for two minutes). ``tag_problem`` finds an unclosed or nested
tag, or more tags or a longer tag than any report template has, in one pass, before docxtpl sees
the XML; the bounded child (reports/bounded.py) stops whatever else is slow."""

from __future__ import annotations

import re

# The paragraphs of a part as docxtpl numbers its lines: a new line before each <w:p …>.
_PARAGRAPH = re.compile(r"<w:p[ >]")
_TAG = re.compile(r"<[^>]*>")
_OPEN = re.compile(r"\{[{%#]")
_CLOSE = {"{": "}}", "%": "%}", "#": "#}"}
_NAMES = {"{": "{{", "%": "{%", "#": "{#"}

MAX_TAGS = 5_000  # Jinja tags in one part (the default template has 60)
MAX_TAG_CHARS = 2_000  # characters of text from a tag's {{ or {% to its }} or %}

PART_NAMES = {"document": "正文", "header": "页眉", "footer": "页脚"}
# Block tags and their ends; a {% set x %} without "=" is a block too.
_BLOCKS_OPENED = {"for", "if", "macro", "call", "filter", "with", "block", "autoescape", "raw", "set"}
_STATEMENT = re.compile(r"[-+]?\s*(?:(p|tr|tc|r)\s+)?([A-Za-z_]\w*)")


def part_name(partname: str) -> str:
    """正文, 页眉 or 页脚 for a part name such as /word/header2.xml."""
    base = partname.rsplit("/", 1)[-1]
    for key, name in PART_NAMES.items():
        if base.startswith(key):
            return name
    return "正文"


def _text(xml: str) -> str:
    return (
        _TAG.sub("", xml)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
        .replace("&quot;", '"')
    )


def where(part: str, paragraph: int | None, text: str | None) -> str:
    """正文第 12 段（“{%p for s in sections %}”）"""
    place = part if not paragraph or paragraph < 1 else f"{part}第 {paragraph} 段"
    text = (text or "").strip()
    if text:
        place += f"（“{text[:60]}{'…' if len(text) > 60 else ''}”）"
    return place


def tag_problem(xml: str, part: str = "正文") -> str | None:
    """An unclosed, nested or oversized tag in a part's XML, or too many tags; None when the
    tags are as docxtpl and Jinja can read them in linear time. One pass over the text."""
    starts, pieces, at = [], [], 0
    for chunk in _PARAGRAPH.split(xml):
        text = _text(chunk)
        starts.append(at)
        pieces.append(text)
        at += len(text) + 1
    text = "\n".join(pieces)  # the text of paragraph k starts at starts[k] (k = 0: before the first)

    def paragraph(position: int) -> tuple[int, str]:
        low, high = 0, len(starts) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if starts[middle] <= position:
                low = middle
            else:
                high = middle - 1
        return low, pieces[low]

    count, position = 0, 0
    blocks: list[tuple[str, str, int]] = []  # open blocks: name, docxtpl prefix, position
    while match := _OPEN.search(text, position):
        count += 1
        if count > MAX_TAGS:
            return f"模板语法错误：{part}中的标签超过 {MAX_TAGS} 个，报告模板用不了这么多，已拒绝。"
        kind = match.group()[1]
        close = text.find(_CLOSE[kind], match.end())
        nested = _OPEN.search(text, match.end(), close if close >= 0 else len(text))
        if close < 0 or nested:
            number, words = paragraph(match.start())
            return (
                f"模板语法错误：{where(part, number, words)}中的 {_NAMES[kind]} 没有对应的 {_CLOSE[kind]}"
                f"{'（在下一个标签开始之前）' if nested else ''}。请检查每个 {{{{ }}}}、{{% %}} 是否成对。"
            )
        if close - match.start() > MAX_TAG_CHARS:
            number, words = paragraph(match.start())
            return f"模板语法错误：{where(part, number, words)}中的标签过长（超过 {MAX_TAG_CHARS} 个字符），已拒绝。"
        if kind == "%":
            problem = _block(text[match.end() : close], match.start(), blocks, part, paragraph)
            if problem:
                return problem
        position = close + 2
    if blocks:
        name, prefix, at = blocks[-1]
        return (
            f"模板语法错误：{where(part, *paragraph(at))}中的 {{%{prefix} {name} %}} 没有对应的 "
            f"{{%{prefix} end{name} %}}。{_PAIRS}"
        )
    return None


_PAIRS = "每个 {%p for %}、{%p if %} 都要有对应的 {%p endfor %}、{%p endif %}。"


def _block(statement: str, at: int, blocks: list, part: str, paragraph) -> str | None:
    """Keeps the stack of open blocks; what is wrong with this statement's place in it."""
    m = _STATEMENT.match(statement.strip())
    if not m:
        return None
    prefix, name = (f"{m.group(1)}" if m.group(1) else ""), m.group(2)
    if name == "set" and "=" in statement:
        return None  # {% set x = … %}: not a block
    if name in _BLOCKS_OPENED:
        blocks.append((name, prefix, at))
        return None
    if name.startswith("end") and name[3:] in _BLOCKS_OPENED:
        if not blocks:
            return f"模板语法错误：{where(part, *paragraph(at))}中的 {{%{prefix} {name} %}} 前面没有对应的开始标签。{_PAIRS}"
        opened, opened_prefix, opened_at = blocks.pop()
        if opened != name[3:]:
            here, there = paragraph(at), paragraph(opened_at)
            other = "同一段" if here[0] == there[0] else where(part, *there)
            return (
                f"模板语法错误：{where(part, *here)}中的 {{%{prefix} {name} %}} 与"
                f"{other}中的 {{%{opened_prefix} {opened} %}} 不配对，"
                f"此处应为 {{%{opened_prefix} end{opened} %}}。{_PAIRS}"
            )
        return None
    if name in ("else", "elif") and not any(block in ("if", "for") for block, _, _ in blocks[-1:]):
        return f"模板语法错误：{where(part, *paragraph(at))}中的 {{%{prefix} {name} %}} 不在 if 或 for 之内。{_PAIRS}"
    return None


# --------------------------------------------------------------------------- Jinja's errors

_TOKENS = {
    "end of print statement": "}}",
    "end of statement block": "%}",
    "begin of print statement": "{{",
    "begin of statement block": "{%",
    "end of comment": "#}",
    "end of template": "模板结尾",
    "name": "名称",
    "integer": "数字",
    "float": "数字",
    "string": "字符串",
}
_BLOCKS = {"for": "for 循环", "if": "if 判断", "macro": "宏（macro）", "call": "call 块", "filter": "filter 块",
           "set": "set 块", "with": "with 块", "block": "block 块", "raw": "raw 块"}  # fmt: skip


def _token(text: str) -> str:
    text = text.strip("'\"")
    return _TOKENS.get(text, f"“{text[:20]}”")


def _tags(listing: str) -> str:
    """'endfor' or 'else' → {% endfor %} 或 {% else %}"""
    names = re.findall(r"'(\w+)'", listing)
    return "或".join(f"{{% {name} %}}" for name in names) or "结束标签"


def jinja_message(message: str | None) -> str:
    """Jinja's syntax error message in Chinese (never the English text)."""
    message = (message or "").strip()
    m = re.match(
        r"Unexpected end of template\. Jinja was looking for the following tags: (.+?)\. "
        r"The innermost block that needs to be closed is '(\w+)'",
        message,
    )
    if m:
        return f"{_BLOCKS.get(m.group(2), m.group(2))}没有结束：模板到结尾也没有 {_tags(m.group(1))}"
    m = re.match(r"Encountered unknown tag '(\w+)'\.(.*)", message, re.S)
    if m:
        tag, rest = m.groups()
        block = re.search(r"innermost block that needs to be closed is '(\w+)'", rest)
        looking = re.search(r"looking for the following tags: (.+?)\.", rest) or re.search(
            r"currently looking for (.+?)\.", rest
        )
        if block or looking:
            expected = _tags(looking.group(1)) if looking else "结束标签"
            inner = f"（尚未结束的是{_BLOCKS.get(block.group(1), block.group(1))}）" if block else ""
            return f"这里的 {{% {tag} %}} 与前面的标签不配对，此处应为 {expected}{inner}"
        return f"不认识的标签“{tag}”"
    if message.startswith("Unexpected end of template"):
        return "标签没有结束：模板到结尾也没有对应的结束标签"
    m = re.match(r"unexpected end of template, expected '(.+?)'", message)
    if m:
        return f"标签没有写完，缺少 {_token(m.group(1))}"
    m = re.match(r"expected token '(.+?)', got '(.+?)'", message)
    if m:
        return f"此处应为 {_token(m.group(1))}，却是{_token(m.group(2))}"
    m = re.match(r"unexpected char (.+?) at \d+", message)
    if m:
        return f"有无法识别的字符{_token(m.group(1))}"
    m = re.match(r"unexpected '(.+?)'", message)
    if m:
        return f"多出了{_token(m.group(1))}"
    m = re.match(r"No filter named '(.+?)'", message)
    if m:
        if m.group(1) == "safe":
            return "不允许使用 safe 过滤器（报告中的文字一律按原样显示，不能变成 Word 的格式代码）"
        return f"没有名为“{m.group(1)[:30]}”的过滤器"
    m = re.match(r"No test named '(.+?)'", message)
    if m:
        return f"没有名为“{m.group(1)[:30]}”的测试"
    if message.startswith("tag name expected"):
        return "{% 之后缺少标签名"
    m = re.match(r"Expected an expression, got '(.+?)'", message)
    if m:
        return f"此处缺少表达式（却是{_token(m.group(1))}）"
    if message.startswith("expected name or number"):
        return "此处应为名称或数字"
    if message.startswith("missing end of comment tag"):
        return "注释 {# 没有对应的 #}"
    m = re.match(r"[Bb]lock '(.+?)' defined twice", message)
    if m:
        return f"block 块“{m.group(1)[:30]}”定义了两次"
    if message.startswith("can't assign to"):
        return "不能给这里赋值（{% set %} 的左边应为变量名）"
    if "not allowed" in message or "unsafe" in message:
        return "使用了模板中不允许的写法"
    return "标签写法有误"


def undefined_message(message: str | None) -> str:
    """Jinja's undefined-value messages in Chinese."""
    message = message or ""
    if m := re.fullmatch(r"'(.+)' is undefined", message):
        return f"变量“{m.group(1)[:40]}”未定义"
    if m := re.fullmatch(r"'(.+?)' has no attribute '(.+)'", message):
        return f"{_object(m.group(1))}没有“{m.group(2)[:40]}”这一项"
    if m := re.fullmatch(r"'(.+?)' has no element (.+)", message):
        return f"{_object(m.group(1))}没有第 {m.group(2)[:20]} 项"
    return "模板引用的内容不存在"


def _object(text: str) -> str:
    kinds = {
        "dict object": "字典",
        "list object": "列表",
        "str object": "文字",
        "int object": "数字",
        "NoneType object": "空值",
        "tuple object": "列表",
    }
    return kinds.get(text, f"“{text[:40]}”")


def security_message(message: str | None) -> str:
    """The sandbox's refusals in Chinese."""
    message = message or ""
    if m := re.match(r"access to attribute '(.+?)' of '(.+?)' object is unsafe", message):
        return f"模板试图调用不允许的方法“{m.group(1)[:40]}”"
    if re.search(r"is not safely callable", message):
        return "模板试图调用不允许的函数"
    return "模板执行了安全沙箱禁止的操作"
