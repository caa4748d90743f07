"""The Jinja sandbox that brigades' report templates render in.

Jinja's own sandbox stops a template from reaching Python internals; it does not stop text from
becoming XML or a template from running for minutes. A template is a user's upload, rendered by
web workers when a report is downloaded or finalised, so this one also makes sure that:

- **text stays text**: there is no ``|safe`` and no ``{% autoescape false %}``, so every value
  is XML-escaped and no text can add a field code or a relationship to the document;
- **work is bounded**: every call, filter, operator, loop iteration and printed value counts
  towards a budget of steps and a deadline; all that is printed, towards ``MAX_OUTPUT``; no string
  or list built by one operation may exceed ``MAX_ITEMS``, and what would build text (``~``, ``+``
  and ``*`` on strings, ``%``, ``join``, ``replace``, ``indent``, ``wordwrap``, ``format``, a
  string method…) is measured before it is built, by what its parts would print as (``cost``:
  a list of 200,000 references to one long string prints as 200,000 copies of it); ``range`` is capped;
  integers may not grow past ``MAX_INT_BITS``; loops nest at most ``MAX_LOOP_DEPTH`` deep (the
  documented context is sections → subsections → paragraphs). A template over any bound raises
  ``TemplateTooCostly`` with a Chinese message, at upload (``check_template``) as at download.

These counts are the fast first checks: they refuse a costly template in milliseconds with a
message that says what to simplify. What they do not foresee, the operating system stops: every
template is parsed and rendered in a bounded child process (reports/bounded.py)."""

import functools
import re
import time
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.compiler import CodeGenerator
from jinja2.nodes import EvalContext
from jinja2.runtime import Context, Namespace
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

MAX_STEPS = 200_000  # calls, filters and operators in one rendering
# Characters of all the {{ … }} a rendering prints (a report is some 20,000); below the 10 MB of
# UTF-8 that libxml2 takes in one text node without its huge-tree option (docxtpl parses the output
# in recover mode, which would silently cut the document short).
MAX_OUTPUT = 2_000_000
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


_SCALARS = (bool, float, type(None))


def cost(value, limit: int = MAX_OUTPUT) -> int:
    """About how many characters ``value`` prints as, without printing it: a string its length,
    a list or dict its items' (each reference counted as often as it is there) and their
    separators. Counting stops as soon as it passes ``limit``, so it costs at most that many steps."""
    total, stack = 0, [value]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            total += len(value)
        elif isinstance(value, _SCALARS):
            total += 5
        elif isinstance(value, int):
            total += value.bit_length() // 3 + 1
        elif isinstance(value, bytes | bytearray):
            total += 4 * len(value)
        elif isinstance(value, list | tuple | set | frozenset | dict):
            total += 2 + 2 * len(value)  # brackets, quotes and commas
            if total > limit:
                return total
            if isinstance(value, dict):
                stack.extend(value.keys())
                stack.extend(value.values())
            else:
                stack.extend(value)
        elif isinstance(value, Namespace):  # prints its attributes
            total += 12
            stack.append(dict(value._Namespace__attrs))  # noqa: SLF001 — Jinja keeps them there
        else:  # a loop, a macro, a generator: printed as a short description
            total += 50
        if total > limit:
            return total
    return total


def _too_long() -> "TemplateTooCostly":
    return TemplateTooCostly(f"模板生成的一段内容过长（超过 {MAX_ITEMS} 个字符或元素）")


def _value_and_rest(args: tuple) -> tuple[Any, tuple]:
    """A filter's value and its other arguments (past the context Jinja may pass first)."""
    at = 0
    while at < len(args) and isinstance(args[at], EvalContext | Context | ImmutableSandboxedEnvironment):
        at += 1
    return (args[at] if at < len(args) else None), args[at + 1 :]


def _argument(rest: tuple, kwargs: dict, position: int, name: str, default=None):
    return rest[position] if len(rest) > position else kwargs.get(name, default)


def _replaced_size(text: str, old, new, count=None) -> int:
    """The length of ``text.replace(old, new, count)``, computed without replacing."""
    if not (isinstance(text, str) and isinstance(old, str) and isinstance(new, str)):
        return 0
    found = len(text) + 1 if old == "" else text.count(old)
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    return len(text) + found * (len(new) - len(old))


# Filters whose result is no bigger than a reference or a number: not measured.
_CHEAP_FILTERS = frozenset(
    "length count first last default d attr abs int float round bool random select reject selectattr "
    "rejectattr map items loop_items".split()
)


def _check_format(text: str) -> None:
    """A printf or str.format pattern may not ask for a huge width or precision."""
    for match in _FORMAT_WIDTH.finditer(text):
        for number in match.groups():
            if number and number != "*" and int(number) > MAX_WIDTH:
                raise TemplateTooCostly(f"模板中的格式宽度 {number} 过大（上限 {MAX_WIDTH}）")


class _BoundedCode(CodeGenerator):
    """Jinja's code generator, but ``a ~ b ~ …`` is measured before it is joined (Jinja compiles
    it to one join of all the parts, which no operator hook sees)."""

    def visit_Concat(self, node: nodes.Concat, frame) -> None:
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            join = "markup_join"
        else:
            join = "str_join"
        self.write("environment.concat_bounded((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write(f"), {join})")


class ReportEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox one rendering runs in (make a new one per rendering: it counts)."""

    intercepted_binops = frozenset(["*", "**", "%", "+", "//", "-", "/"])
    code_generator_class = _BoundedCode

    def __init__(self, filters: dict | None = None):
        super().__init__(autoescape=True, undefined=StrictUndefined, finalize=self._printed)
        self.steps, self.printed, self.deadline = 0, 0, time.monotonic() + MAX_SECONDS
        self.filters.pop("safe", None)  # text may never become markup
        self.filters.update(filters or {})
        self.filters = {name: self._counted(f) for name, f in self.filters.items()}
        self.filters["loop_items"] = self._loop_items  # what every {% for %} iterates (see _parse)
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
        # Measured before it becomes text: a literal [a, a, …] of one long string prints as many copies.
        self.printed += len(value) if isinstance(value, str) else cost(value, MAX_OUTPUT - self.printed + 1)
        if self.printed > MAX_OUTPUT:
            raise TemplateTooCostly(f"模板生成的内容过多（超过 {MAX_OUTPUT} 个字符），请简化模板中的循环")
        self.tick()
        return value

    def _result(self, value):
        if _size(value) > MAX_ITEMS:
            raise _too_long()
        if isinstance(value, list | tuple | dict | set) and cost(value, MAX_OUTPUT) > MAX_OUTPUT:
            raise _too_long()  # a list of references to one long string: never printable
        if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
            raise TemplateTooCostly("模板中的数字过大")
        return value

    def _measured(self, *values, limit: int = MAX_ITEMS) -> int:
        """What ``values`` print as together, refused past ``limit``."""
        total = 0
        for value in values:
            total += cost(value, limit - total)
            if total > limit:
                raise _too_long()
        return total

    def concat_bounded(self, parts: tuple, join):
        """``a ~ b ~ …``: the parts measured, then joined."""
        self.tick()
        self._measured(*parts)
        return join(parts)

    def _loop_items(self, iterable):
        """A loop's items, each a step: a loop whose body computes nothing still counts."""
        self.tick()
        for item in iterable:
            self.tick()
            yield item

    def _arguments(self, args, kwargs) -> None:
        for value in (*args, *kwargs.values()):
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_WIDTH * 100:
                raise TemplateTooCostly(f"模板中的参数 {value} 过大")

    def _before(self, name: str, args: tuple, kwargs: dict) -> None:
        """What a filter would build, measured before it is built."""
        value, rest = _value_and_rest(args)
        self._measured(value, *rest, *kwargs.values())
        size = 0
        if name == "join" and isinstance(value, list | tuple):
            separator = _argument(rest, kwargs, 0, "d", "")
            size = cost(value, MAX_ITEMS + 1) + len(value) * len(str(separator))
        elif name == "replace":
            size = _replaced_size(
                value,
                _argument(rest, kwargs, 0, "old"),
                _argument(rest, kwargs, 1, "new"),
                _argument(rest, kwargs, 2, "count"),
            )
        elif name == "indent" and isinstance(value, str):
            width = _argument(rest, kwargs, 0, "width", 4)
            width = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
            size = len(value) + (value.count("\n") + 1) * width
        elif name == "wordwrap" and isinstance(value, str):
            width = _argument(rest, kwargs, 0, "width", 79)
            wrap = _argument(rest, kwargs, 2, "wrapstring", None) or "\n"
            width = width if isinstance(width, int) and width > 0 else 1
            size = len(value) + (len(value) // width + 1) * len(str(wrap))
        elif name == "center" and isinstance(value, str):
            width = _argument(rest, kwargs, 0, "width", 80)
            size = len(value) + (width if isinstance(width, int) else 0)
        if size > MAX_ITEMS:
            raise _too_long()

    def _counted(self, function):
        name = function.__name__.removeprefix("do_")

        @functools.wraps(function)
        def counted(*args, **kwargs):
            self.tick()
            self._arguments(args[1:], kwargs)  # the first is the value filtered
            if name not in _CHEAP_FILTERS:
                self._before(name, args, kwargs)
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
        __self._measured(*args, *kwargs.values())
        text = getattr(__obj, "__self__", None)
        if isinstance(text, str):  # 'x'.center(n), .ljust(n), ', '.join(…), .replace(…) …
            for value in args:
                if isinstance(value, int) and value > MAX_WIDTH:
                    raise TemplateTooCostly(f"模板中的宽度 {value} 过大（上限 {MAX_WIDTH}）")
            __self._string_method(text, getattr(__obj, "__name__", ""), args, kwargs)
        return __self._result(super().call(__context, __obj, *args, **kwargs))

    def _string_method(self, text: str, method: str, args: tuple, kwargs: dict) -> None:
        """What a string method would build, measured before it is built."""
        size = 0
        if method == "join" and args and isinstance(args[0], list | tuple):
            size = cost(args[0], MAX_ITEMS + 1) + len(args[0]) * len(text)
        elif method == "replace" and len(args) >= 2:
            size = _replaced_size(text, args[0], args[1], args[2] if len(args) > 2 else kwargs.get("count"))
        elif method == "expandtabs":
            tab = args[0] if args else kwargs.get("tabsize", 8)
            size = len(text) + text.count("\t") * (tab if isinstance(tab, int) else 8)
        elif method == "translate" and args and isinstance(args[0], dict):
            longest = max((len(v) for v in args[0].values() if isinstance(v, str)), default=1)
            size = len(text) * max(longest, 1)
        elif method in ("center", "ljust", "rjust", "zfill") and args and isinstance(args[0], int):
            size = max(len(text), args[0])
        if size > MAX_ITEMS:
            raise _too_long()

    def wrap_str_format(self, value):
        """'…'.format(…) and format_map, which the sandbox wraps when they are looked up."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        pattern = value.__self__

        def bounded(*args, **kwargs):
            self.tick()
            _check_format(pattern)
            self._measured(pattern, *args, *kwargs.values())
            return self._result(wrapped(*args, **kwargs))

        return bounded

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        self.tick()
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if _size(seq) and isinstance(n, int) and _size(seq) * n > MAX_ITEMS:
                    raise TemplateTooCostly(f"模板生成的一段内容过长（超过 {MAX_ITEMS} 个字符或元素）")
            if (
                isinstance(left, int)
                and isinstance(right, int)
                and left.bit_length() + right.bit_length() > MAX_INT_BITS
            ):
                raise TemplateTooCostly("模板中的数字过大")
        elif operator == "**":
            if (
                isinstance(left, int)
                and isinstance(right, int)
                and abs(left) > 1
                and (right > MAX_INT_BITS or left.bit_length() * right > MAX_INT_BITS)
            ):
                raise TemplateTooCostly("模板中的数字过大")
        elif operator == "%" and isinstance(left, str):
            _check_format(left)
            self._measured(left, right)
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
        for loop in tree.find_all(nodes.For):  # each iteration a step, whatever the body does
            loop.iter = nodes.Filter(loop.iter, "loop_items", [], [], None, None, lineno=loop.iter.lineno)
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
