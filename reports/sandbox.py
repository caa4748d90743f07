"""The Jinja sandbox that brigades' report templates render in.

Jinja's own sandbox stops a template from reaching Python internals; it does not stop text from
becoming XML or a template from running for minutes. A template is a user's upload, rendered by
web workers when a report is downloaded or finalised, so this one also makes sure that:

- **text stays text**: there is no ``|safe`` and no ``{% autoescape false %}``, so every value
  is XML-escaped and no text can add a field code or a relationship to the document;
- **work is bounded**: every call, filter, operator and printed value counts towards a budget of
  steps and a deadline; all that is printed, towards ``MAX_OUTPUT``; no string or list built by one
  operation may exceed ``MAX_ITEMS``; ``range`` is capped;
  integers may not grow past ``MAX_INT_BITS``; loops nest at most ``MAX_LOOP_DEPTH`` deep (the
  documented context is sections → subsections → paragraphs). A template over any bound raises
  ``TemplateTooCostly`` with a Chinese message, at upload (``check_template``) as at download."""

import functools
import re
import time
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

MAX_STEPS = 200_000  # calls, filters and operators in one rendering
MAX_OUTPUT = 5_000_000  # characters of all the {{ … }} a rendering prints (a report is some 20,000)
MAX_SECONDS = 5.0  # wall clock of one rendering
MAX_ITEMS = 200_000  # characters of a string, or items of a list, made by one operation
MAX_RANGE = 10_000
MAX_INT_BITS = 256
MAX_LOOP_DEPTH = 4
MAX_WIDTH = 1_000  # a field width or an integer argument to a string method or filter
_FORMAT_WIDTH = re.compile(r"%[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?|\{[^{}]*:[^{}]*?(\d+)[^{}]*\}")


class TemplateTooCostly(SecurityError):
    """A template over one of the bounds; the message (Chinese) says which."""


class InternalAccess(SecurityError):
    """A template reaching for Python internals (``_``-attributes); names them all."""

    def __init__(self, *attributes: str):
        super().__init__(", ".join(attributes))
        self.attributes = attributes


def _size(value) -> int:
    return len(value) if isinstance(value, str | list | tuple | dict | set) else 0


def _check_format(text: str) -> None:
    """A printf or str.format pattern may not ask for a huge width or precision."""
    for match in _FORMAT_WIDTH.finditer(text):
        for number in match.groups():
            if number and number != "*" and int(number) > MAX_WIDTH:
                raise TemplateTooCostly(f"模板中的格式宽度 {number} 过大（上限 {MAX_WIDTH}）")


class ReportEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox one rendering runs in (make a new one per rendering: it counts)."""

    intercepted_binops = frozenset(["*", "**", "%", "+", "//", "-", "/"])

    def __init__(self, filters: dict | None = None):
        super().__init__(autoescape=True, undefined=StrictUndefined, finalize=self._printed)
        self.steps, self.printed, self.deadline = 0, 0, time.monotonic() + MAX_SECONDS
        self.filters.pop("safe", None)  # text may never become markup
        self.filters.update(filters or {})
        self.filters = {name: self._counted(f) for name, f in self.filters.items()}
        # No lorem-ipsum generator, cycler or joiner: nothing a report needs, each a way to spin.
        self.globals = {"range": self._range, "dict": dict, "namespace": self.globals["namespace"]}

    # ── the budget ──────────────────────────────────────────────────────────────────────────

    def tick(self, n: int = 1) -> None:
        self.steps += n
        if self.steps > MAX_STEPS:
            raise TemplateTooCostly(f"模板运算步骤过多（超过 {MAX_STEPS} 步），请简化模板中的循环")
        if time.monotonic() > self.deadline:
            raise TemplateTooCostly(f"模板渲染超过 {MAX_SECONDS:g} 秒，请简化模板中的循环")

    def _printed(self, value):
        """Every {{ … }} passes here before it is printed: the whole output is bounded too."""
        self.printed += len(value) if isinstance(value, str) else len(str(value))
        if self.printed > MAX_OUTPUT:
            raise TemplateTooCostly(f"模板生成的内容过多（超过 {MAX_OUTPUT} 个字符），请简化模板中的循环")
        self.tick()
        return value

    def _result(self, value):
        if _size(value) > MAX_ITEMS:
            raise TemplateTooCostly(f"模板生成的一段内容过长（超过 {MAX_ITEMS} 个字符或元素）")
        if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
            raise TemplateTooCostly("模板中的数字过大")
        return value

    def _arguments(self, args, kwargs) -> None:
        for value in (*args, *kwargs.values()):
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_WIDTH * 100:
                raise TemplateTooCostly(f"模板中的参数 {value} 过大")

    def _counted(self, function):
        @functools.wraps(function)
        def counted(*args, **kwargs):
            self.tick()
            self._arguments(args[1:], kwargs)  # the first is the value filtered
            if function.__name__ in ("do_format", "format") and args and isinstance(args[0], str):
                _check_format(args[0])
            if function.__name__ in ("do_center", "do_indent", "do_wordwrap", "do_truncate"):
                for value in (*args[1:], *kwargs.values()):
                    if isinstance(value, int) and value > MAX_WIDTH:
                        raise TemplateTooCostly(f"模板中的宽度 {value} 过大（上限 {MAX_WIDTH}）")
            return self._result(function(*args, **kwargs))

        return counted

    def _range(self, *args):
        if len(range(*args)) > MAX_RANGE:
            raise TemplateTooCostly(f"模板中的 range 过大（上限 {MAX_RANGE}）")
        for value in range(*args):
            self.tick()
            yield value

    # ── what the template calls and computes ────────────────────────────────────────────────

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 — Jinja's own signature
        __self.tick()
        __self._arguments(args, kwargs)
        if isinstance(getattr(__obj, "__self__", None), str):  # 'x'.center(n), .ljust(n) …
            for value in args:
                if isinstance(value, int) and value > MAX_WIDTH:
                    raise TemplateTooCostly(f"模板中的宽度 {value} 过大（上限 {MAX_WIDTH}）")
        return __self._result(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value):
        """'…'.format(…) and format_map, which the sandbox wraps when they are looked up."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        pattern = value.__self__

        def bounded(*args, **kwargs):
            self.tick()
            _check_format(pattern)
            return self._result(wrapped(*args, **kwargs))

        return bounded

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        self.tick()
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if _size(seq) and isinstance(n, int) and _size(seq) * n > MAX_ITEMS:
                    raise TemplateTooCostly(f"模板生成的一段内容过长（超过 {MAX_ITEMS} 个字符或元素）")
            if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise TemplateTooCostly("模板中的数字过大")
        elif operator == "**":
            if isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and (
                right > MAX_INT_BITS or left.bit_length() * right > MAX_INT_BITS
            ):
                raise TemplateTooCostly("模板中的数字过大")
        elif operator == "%" and isinstance(left, str):
            _check_format(left)
            for value in right if isinstance(right, tuple) else (right,):
                if isinstance(value, int) and value > MAX_WIDTH and "*" in left:
                    raise TemplateTooCostly(f"模板中的格式宽度 {value} 过大（上限 {MAX_WIDTH}）")
        elif operator == "+" and _size(left) + _size(right) > MAX_ITEMS:
            raise TemplateTooCostly(f"模板生成的一段内容过长（超过 {MAX_ITEMS} 个字符或元素）")
        return self._result(super().call_binop(context, operator, left, right))

    def unsafe_undefined(self, obj: Any, attribute: str):
        raise InternalAccess(attribute)

    # ── what a template may say at all, checked as it is parsed ─────────────────────────────

    # Private in Jinja, but both parse() and from_string() go through it; a test makes sure the
    # check still runs (a refused attribute in an untaken branch).
    def _parse(self, source, name, filename):
        tree = super()._parse(source, name, filename)
        found = list(internal_attributes(tree))
        if found:
            raise InternalAccess(*found)
        for node in tree.find_all((nodes.EvalContextModifier, nodes.ScopedEvalContextModifier)):
            if any(option.key == "autoescape" for option in node.options):
                raise TemplateTooCostly("模板不能关闭转义（autoescape），已拒绝")
        if _loop_depth(tree) > MAX_LOOP_DEPTH:
            raise TemplateTooCostly(f"模板中的循环嵌套超过 {MAX_LOOP_DEPTH} 层，请简化模板")
        return tree


def _loop_depth(node, depth: int = 0) -> int:
    deepest = depth
    for child in node.iter_child_nodes():
        deepest = max(deepest, _loop_depth(child, depth + isinstance(child, nodes.For)))
    return deepest


def internal_attributes(tree: nodes.Template):
    """Names of ``_``-attributes the template reaches for (``''.__class__``, ``x|attr('_y')``)."""

    def const(node) -> str | None:
        return node.value if isinstance(node, nodes.Const) and isinstance(node.value, str) else None

    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter)):
        if isinstance(node, nodes.Getattr):
            names = [node.attr]
        elif isinstance(node, nodes.Getitem):
            names = [const(node.arg)]
        else:  # x|attr('__class__'), x|map(attribute='__class__') …
            names = [const(kw.value) for kw in node.kwargs if kw.key == "attribute"]
            if node.name in ("attr", "selectattr", "rejectattr") and node.args:
                names.append(const(node.args[0]))
        for name in names:
            if name and name.startswith("_"):
                yield name
