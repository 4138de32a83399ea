"""The sandbox itself: every way a template can take memory or time is refused before it does,
and ordinary prompt templates still render. Expected outputs are Jinja2's documented results."""

from __future__ import annotations

import pytest

from edukit.sandbox import TemplateProblem, compile_template, render

VALUES = {"text": "Hello world here\n" * 50_000, "n": 9, "items": ["a", "b"], "g": {"q": "Q?"}}

BOMBS = [
    "{{ text * 1000000000 }}",
    "{{ [text] * 100000000 }}",
    "{{ text|center(2000000000) }}",
    "{{ '%999999999d' % 1 }}",
    "{{ '%*d' % (999999999, 1) }}",
    "{{ '%(a)999999s' % {'a': 1} }}",
    "{{ '%999999999d'|format(1) }}",
    "{{ n ** (9 ** 8) }}",
    "{{ text + text + text }}",
    "{{ text ~ text ~ text }}",
    "{{ text|replace('', text) }}",
    "{{ text|indent(text) }}",
    "{{ text|wordwrap(5, wrapstring=text) }}",
    "{{ items|map('center', 2000000000)|list }}",
    "{{ ([text] * 100)|join }}",
    "{{ text|batch(100000000)|list }}",
    "{% for a in text %}{% for b in text %}{% endfor %}{% endfor %}",
    "{% filter center(2000000000) %}x{% endfilter %}",
    "{% for a in text %}{{ text }}{% endfor %}",
]


@pytest.mark.parametrize("template", BOMBS)
def test_bombs_are_refused(template):
    with pytest.raises(TemplateProblem, match=r"^item 7: refused by the template sandbox: "):
        render(compile_template(template), VALUES, "item 7")


@pytest.mark.parametrize(
    "template",
    [
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ text.upper() }}",
        "{% include 'x' %}",
        "{% macro m() %}{% endmacro %}",
        "{{ range(10) }}",
        "{{ text|edukit_bounded_iter }}",
    ],
)
def test_escapes_are_refused_at_compile_time(template):
    with pytest.raises(TemplateProblem) as info:
        compile_template(template)
    assert info.value.line == 1


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ items|map('upper')|join(', ') }}", "A, B"),
        ("{% for i in items %}{{ loop.index }}{{ i }}{% endfor %}", "1a2b"),
        ("{{ g.q }} {{ '%s=%d' % ('n', n) }} {{ n ** 2 }} {{ -n }}", "Q? n=9 81 -9"),
        ("{{ 'ab'|center(6) }}|{{ 'x\ny'|indent(2) }}", "  ab  |x\n  y"),
        ("{{ 'ab' * 3 }}", "ababab"),
    ],
)
def test_ordinary_templates_render(template, expected):
    assert render(compile_template(template), VALUES, "item 1") == expected


def test_runtime_errors_name_the_line_and_reason():
    with pytest.raises(TemplateProblem) as info:
        render(compile_template("a\nb\n{{ n / 0 }}"), VALUES, "item 3")
    assert (info.value.line, info.value.message) == (
        3,
        "item 3: ZeroDivisionError: division by zero",
    )
