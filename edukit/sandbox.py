"""The one Jinja2 sandbox every template edukit renders goes through (rubrics, export system
templates, SIGHT imports).

Templates come from files other people wrote, so besides Jinja2's `ImmutableSandboxedEnvironment`
(no attribute tricks, no mutation) every way a template can take memory or time is bounded:
string and list repetition, `**`, `%`-formatting widths, filter widths, string concatenation,
loop iterations (nested loops share one budget) and the length of the rendered text. Calls,
imports, includes and private attributes are refused when the template is compiled, with the
template line; any runtime error becomes a `TemplateProblem` with the line it happened on.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, Undefined, UndefinedError, meta, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_TEXT = 1_000_000  # characters of any intermediate string or list, and of a rendered item
MAX_POWER = 64  # largest exponent of `**`
MAX_WIDTH = 10_000  # largest width, count or precision a filter or a %-format may ask for
MAX_STEPS = 1_000_000  # loop iterations and bounded operations per render
MAX_SECONDS = 5.0  # wall time per render

# Names that only make sense as a way out of the sandbox (or into the process environment).
_FORBIDDEN_NAMES = {
    "self", "cycler", "joiner", "namespace", "lipsum", "range", "dict", "config", "request",
    "os", "sys", "environ", "getenv", "builtins", "__builtins__", "globals", "locals", "import",
}  # fmt: skip
_ITER_FILTER = "edukit_bounded_iter"
# `%[flags][width][.precision]type`: the width and precision are what allocate.
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[a-zA-Z%]")


class TemplateProblem(Exception):
    """A template is unsafe, malformed or failed; `line` is 1-based within the template text."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _Budget:
    def __init__(self) -> None:
        self.steps = MAX_STEPS
        self.deadline = time.monotonic() + MAX_SECONDS

    def spend(self, n: int = 1) -> None:
        self.steps -= n
        if self.steps < 0:
            raise SecurityError(f"template does more than {MAX_STEPS:,} loop steps or operations")
        if self.steps % 1024 == 0 and time.monotonic() > self.deadline:
            raise SecurityError(f"template takes longer than {MAX_SECONDS:g} s to render")


_BUDGET: ContextVar[_Budget | None] = ContextVar("edukit_template_budget", default=None)


def _spend(n: int = 1) -> None:
    budget = _BUDGET.get()
    if budget is None:  # rendered outside `render` (should not happen): bound it anyway
        budget = _Budget()
        _BUDGET.set(budget)
    budget.spend(n)


def _size(value: Any) -> int | None:
    if isinstance(value, str | bytes | list | tuple):
        return len(value)
    return None


def _check_size(n: int, what: str) -> None:
    if n > MAX_TEXT:
        raise SecurityError(f"{what} would be {n:,} long (the limit is {MAX_TEXT:,})")


def check_percent_format(fmt: str, args: Any) -> None:
    """Refuse `%`-formatting whose widths or precisions would allocate past the limits."""
    for match in _PERCENT_SPEC.finditer(fmt):
        for part in match.groups():
            if part == "*":
                raise SecurityError("'*' widths are not allowed in %-formatting")
            if part is not None and int(part) > MAX_WIDTH:
                raise SecurityError(f"%-format width {int(part):,} is over {MAX_WIDTH:,}")
    _check_size(len(fmt) + sum(len(str(a)) for a in _as_tuple(args)), "the formatted text")


def _as_tuple(args: Any) -> tuple:
    if isinstance(args, tuple):
        return args
    if isinstance(args, Mapping):
        return tuple(args.values())
    return (args,)


class _Generator(CodeGenerator):
    """Compiles `a ~ b` through a length check instead of a bare join."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.bounded_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """`ImmutableSandboxedEnvironment` with bounded arithmetic, filters, loops and output."""

    code_generator_class = _Generator
    intercepted_binops = frozenset({"*", "**", "%", "+", "//"})
    intercepted_unops = frozenset({"-"})

    def __init__(self, strict: bool = True) -> None:
        super().__init__(undefined=StrictUndefined if strict else Undefined, autoescape=False)
        # No helpers: a prompt template only needs its fields, and each global is a way in.
        self.globals.clear()
        self.filters.pop("random", None)  # not reproducible
        for name, fn in list(self.filters.items()):
            self.filters[name] = _bounded_filter(name, fn)
        self.filters[_ITER_FILTER] = _bounded_iter

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _spend()
        if operator == "**" and isinstance(right, int | float) and isinstance(left, int | float):
            if abs(right) > MAX_POWER and abs(left) > 1:
                raise SecurityError(f"exponent {right} is over {MAX_POWER}")
        elif operator == "*":
            for seq, n in ((left, right), (right, left)):
                size = _size(seq)
                if size is not None and isinstance(n, int):
                    _check_size(size * max(n, 0), "the repeated text")
        elif operator == "%" and isinstance(left, str):
            check_percent_format(left, right)
        elif operator == "+":
            a, b = _size(left), _size(right)
            if a is not None and b is not None:
                _check_size(a + b, "the joined text")
        return super().call_binop(context, operator, left, right)

    def call_unop(self, context: Any, operator: str, arg: Any) -> Any:
        _spend()
        return super().call_unop(context, operator, arg)

    def bounded_concat(self, parts: Iterable[Any]) -> str:
        """`a ~ b ~ c`, refused when the result would pass the text limit."""
        texts = [str(p) for p in parts]
        _check_size(sum(map(len, texts)), "the joined text")
        return "".join(texts)


# Filter arguments that size the result (positionally after the value, or by keyword).
_SIZE_ARGS = {
    "center": ("width",),
    "indent": ("width",),
    "wordwrap": ("width",),
    "truncate": ("length", "leeway"),
    "batch": ("linecount",),
    "slice": ("slices",),
    "round": ("precision",),
    "tojson": ("indent",),
    "filesizeformat": (),
    "replace": ("count",),
}


def _bounded_filter(name: str, fn: Callable) -> Callable:
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _spend()
        # jinja passes context/eval_ctx/environment first for some filters: skip them.
        values = [a for a in args if not _is_jinja_internal(a)]
        for value in (*values[1:], *kwargs.values()):
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if number and abs(value) > MAX_WIDTH:
                raise SecurityError(f"filter {name!r}: argument {value} is over {MAX_WIDTH:,}")
            if isinstance(value, str | list | tuple):
                _check_size(len(value), f"filter {name!r}'s argument")
        if values:
            subject = values[0]
            if name == "format" and isinstance(subject, str):
                check_percent_format(subject, tuple(values[1:]) or kwargs)
            elif name == "replace" and isinstance(subject, str) and len(values) >= 3:
                old, new = str(values[1]), str(values[2])
                hits = subject.count(old) if old else len(subject) + 1
                _check_size(len(subject) + hits * len(new), "the replaced text")
            elif name == "indent" and isinstance(subject, str):
                width = values[1] if len(values) > 1 else kwargs.get("width", 4)
                pad = len(width) if isinstance(width, str) else int(width)
                _check_size(len(subject) + (subject.count("\n") + 1) * pad, "the indented text")
            elif name == "wordwrap" and isinstance(subject, str):
                width = values[1] if len(values) > 1 else kwargs.get("width", 79)
                wrap = kwargs.get("wrapstring") or (values[4] if len(values) > 4 else "\n")
                wraps = len(subject) // max(int(width), 1) + 1
                _check_size(len(subject) + wraps * len(str(wrap)), "the wrapped text")
            elif name == "join":
                subject = list(subject) if not isinstance(subject, str) else subject
                _spend(len(subject))
                sep = values[1] if len(values) > 1 else kwargs.get("d", "")
                total = sum(len(str(x)) for x in subject) + len(str(sep)) * len(subject)
                _check_size(total, "the joined text")
                args = tuple(a if a is not values[0] else subject for a in args)
        result = fn(*args, **kwargs)
        size = _size(result)
        if size is not None:
            _check_size(size, f"the result of filter {name!r}")
        return result

    # keep jinja's pass_context / pass_eval_context / pass_environment marker
    marker = getattr(fn, "jinja_pass_arg", None)
    if marker is not None:
        bounded.jinja_pass_arg = marker  # type: ignore[attr-defined]
    bounded.__name__ = getattr(fn, "__name__", name)
    return bounded


def _is_jinja_internal(value: Any) -> bool:
    from jinja2.nodes import EvalContext
    from jinja2.runtime import Context

    return isinstance(value, Context | EvalContext | ImmutableSandboxedEnvironment)


def _bounded_iter(value: Any) -> Iterator[Any]:
    if isinstance(value, Undefined):
        value = list(value)  # StrictUndefined raises here, naming the field
    if isinstance(value, int | float):
        raise SecurityError(f"cannot loop over a number ({value})")
    for item in value:
        _spend()
        yield item


_STRICT = BoundedEnvironment(strict=True)
_LENIENT = BoundedEnvironment(strict=False)


def parse(text: str) -> nodes.Template:
    """The template's syntax tree; TemplateProblem with the line on a syntax error."""
    try:
        return _STRICT.parse(text)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"template syntax error: {exc.message}", exc.lineno) from None


def compile_template(text: str, *, strict: bool = True) -> Any:
    """Parse and safety-check `text`; a bounded jinja2 Template. Raises TemplateProblem.

    `strict`: a field the template reads but the data lacks is an error (else empty text).
    """
    if not isinstance(text, str):
        raise TemplateProblem("a template must be text")
    if len(text) > MAX_TEXT:
        raise TemplateProblem(f"the template is over {MAX_TEXT:,} characters")
    ast = parse(text)
    for node in ast.find_all((nodes.Getattr, nodes.Getitem, nodes.Name, nodes.Call)):
        if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            raise TemplateProblem(f"template may not access {node.attr!r}", node.lineno)
        key = getattr(node.arg, "value", None) if isinstance(node, nodes.Getitem) else None
        if isinstance(key, str) and key.startswith("_"):
            raise TemplateProblem(f"template may not access {key!r}", node.lineno)
        if isinstance(node, nodes.Name) and (
            node.name in _FORBIDDEN_NAMES or node.name.startswith("_")
        ):
            raise TemplateProblem(f"template may not use {node.name!r}", node.lineno)
        if isinstance(node, nodes.Call):
            raise TemplateProblem("template may not call functions or methods", node.lineno)
    for kind in (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends, nodes.Macro):
        found = next(iter(ast.find_all(kind)), None)
        if found is not None and kind is nodes.Macro:
            raise TemplateProblem("template may not define macros", found.lineno)
        if found is not None:
            raise TemplateProblem(
                "template may not include or import other templates", found.lineno
            )
    for node in ast.find_all((nodes.Filter, nodes.Test)):
        if node.name == _ITER_FILTER:
            raise TemplateProblem(f"template may not use {node.name!r}", node.lineno)
    for loop in ast.find_all(nodes.For):
        loop.iter = nodes.Filter(loop.iter, _ITER_FILTER, [], [], None, None, lineno=loop.lineno)
    env = _STRICT if strict else _LENIENT
    try:
        return env.from_string(ast)
    except TemplateSyntaxError as exc:  # e.g. an unknown filter name
        raise TemplateProblem(f"template syntax error: {exc.message}", exc.lineno) from None


def template_fields(text: str) -> dict[str, int]:
    """The fields a template reads, each with the (1-based) template line it first appears on."""
    ast = parse(text)
    fields = meta.find_undeclared_variables(ast)
    lines: dict[str, int] = {}
    for node in ast.find_all(nodes.Name):
        if node.name in fields:
            lines[node.name] = min(lines.get(node.name, node.lineno), node.lineno)
    return dict(sorted(lines.items(), key=lambda kv: (kv[1], kv[0])))


def render(template: Any, values: Mapping[str, Any], what: str) -> str:
    """Render `template` with `values` inside the budgets.

    Any failure (a missing field, a sandbox refusal, a division by zero, a type error, ...)
    becomes TemplateProblem(`"{what}: reason"`, template line).
    """
    token = _BUDGET.set(_Budget())
    try:
        parts: list[str] = []
        total = 0
        for chunk in template.generate(values):
            total += len(chunk)
            if total > MAX_TEXT:
                raise SecurityError(f"the rendered text is over {MAX_TEXT:,} characters")
            parts.append(chunk)
        return "".join(parts)
    except UndefinedError as exc:
        raise TemplateProblem(f"{what}: {exc.message}", _template_line(exc)) from None
    except SecurityError as exc:
        raise TemplateProblem(
            f"{what}: refused by the template sandbox: {exc}", _template_line(exc)
        ) from None
    except MemoryError:
        raise TemplateProblem(f"{what}: the template needs too much memory") from None
    except RecursionError:
        raise TemplateProblem(f"{what}: the template nests too deeply") from None
    except Exception as exc:  # a template runtime error of any kind: the author's, not ours
        reason = str(exc).splitlines()[0] if str(exc).strip() else ""
        text = f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__
        raise TemplateProblem(f"{what}: {text}", _template_line(exc)) from None
    finally:
        _BUDGET.reset(token)


def _template_line(exc: BaseException) -> int | None:
    # jinja rewrites tracebacks so template frames carry the template's own line numbers.
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
