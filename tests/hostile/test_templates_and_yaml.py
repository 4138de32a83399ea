"""Issue 14 classes 1-3 through the CLI: code execution, resource bombs, template runtime errors.

Each runs in a child process under CPU and memory limits (conftest.bounded) and checks: exit 2,
one `Error:` line, no traceback, the inputs unchanged and no trace of the injected code.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from edukit.resources import bundled

from .conftest import digest

PAYLOAD = "{{ cycler.__init__.__globals__.os.popen('touch PWNED').read() }}"


def _items(tmp_path, text="hello there"):
    path = tmp_path / "items.csv"
    path.write_text(f"item_id,text\n7,{text}\n8,second\n", encoding="utf-8")
    return path


def _rubric(tmp_path, template="{{ text }}", extra=""):
    path = tmp_path / "rubric.yaml"
    body = textwrap.indent(template, "  ")
    path.write_text(
        f'name: demo\nversion: "1"\ntask: binary\ntemplate: |\n{body}\n'
        f"labels: [{{name: a, definition: b}}]\n{extra}",
        encoding="utf-8",
    )
    return path


# --- 1. code execution -------------------------------------------------------------------------
def test_export_system_template_cannot_run_code(bounded, tmp_path):
    template = tmp_path / "system.j2"
    template.write_text(f"You are a tutor.\n{PAYLOAD}\n", encoding="utf-8")
    sample = bundled("datasets", "mathdial", "test.csv")
    before = digest(template, sample)
    r = bounded("export", "finetune", sample, "-f", "alpaca", "-o", tmp_path / "out",
                "--system-template", template)  # fmt: skip
    r.assert_one_error(f"{template}:2: template: template may not ")
    assert digest(template, sample) == before
    assert not (tmp_path / "PWNED").exists() and not (tmp_path / "out").exists()


def test_sight_prompt_text_stays_literal_even_with_endraw(bounded, tmp_path):
    folder = tmp_path / "prompts"
    (folder / "label_prompts").mkdir(parents=True)
    (folder / "info.json").write_text(
        json.dumps({"valid_labels": {"general": {"true": 1, "false": 0}}}), encoding="utf-8"
    )
    text = f"Comment: {{comment}}\n{{% endraw %}}{PAYLOAD}{{% raw %}} {{{{x}}}} {{#c#}}\nTask: ok?"
    (folder / "label_prompts" / "v1_general.txt").write_text(text, encoding="utf-8")
    before = digest(folder)
    out = tmp_path / "sight.yaml"
    r = bounded("rubric", "import-sight", folder, "--out", out)
    assert r.code == 0, r.err
    items = tmp_path / "items.csv"
    items.write_text("item_id,comment,video_name,playlist_name\n1,hi,v,p\n", encoding="utf-8")
    r = bounded("rubric", "render", out, "--data", items)
    assert r.code == 0, r.err
    content = json.loads(r.out)[0]["messages"][-1]["content"]
    assert content == text.replace("{comment}", "hi")  # every brace kept as written
    assert digest(folder) == before
    assert not (tmp_path / "PWNED").exists()


# --- 2. resource bombs -------------------------------------------------------------------------
BOMBS = [
    ("{{ text * 1000000000 }}", "the repeated text would be"),
    ("{{ text|center(2000000000) }}", "filter 'center': argument 2000000000"),
    ("{{ '%999999999d' % 1 }}", "%-format width 999,999,999"),
    ("{{ 7 ** (9 ** 8) }}", "exponent 43046721"),
    ("{% for a in text * 3000 %}{% for b in text * 3000 %}{{ a }}{% endfor %}{% endfor %}",
     "loop steps"),
]  # fmt: skip


@pytest.mark.parametrize(("template", "reason"), BOMBS)
def test_template_bombs_are_refused_within_bounds(bounded, tmp_path, template, reason):
    rubric, items = _rubric(tmp_path, "Text:\n" + template), _items(tmp_path)
    before = digest(rubric, items)
    for command in ("render", "validate"):
        r = bounded("rubric", command, rubric, "--data", items)
        line = r.assert_one_error(f"{rubric}:6:1: template: item 7: refused by the template")
        assert reason in line
    assert digest(rubric, items) == before


BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
name: x
"""

YAML_BOMBS = [
    (BILLION_LAUGHS, "expands to more than 200,000 values"),
    ("a: " + "[" * 5000 + "]" * 5000 + "\n", ":1:"),
    ("a: &a [x, *a]\nname: x\n", "an alias refers to a value that contains it"),
    ('name: x\nversion: "1"\ntask: binary\nlabels: [{name: a, definition: b}]\n'
     "output: {samples: 1000000000}\n", "output.samples: Input should be less than or equal"),
    ('name: x\nversion: "1"\ntask: binary\nlabels: [{name: a, definition: b}]\n'
     "defaults: {temperature: .inf}\n", "defaults.temperature"),
    ('name: x\nversion: "1"\ntask: binary\nlabels: [{name: a, definition: b}]\n'
     "defaults: {max_tokens: 99999999999}\n", "defaults.max_tokens"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "reason"), YAML_BOMBS)
def test_yaml_bombs_and_unbounded_numbers_are_refused(bounded, tmp_path, text, reason):
    rubric = tmp_path / "bomb.yaml"
    rubric.write_text(text, encoding="utf-8")
    before = digest(rubric)
    r = bounded("rubric", "validate", rubric)
    line = r.assert_one_error(f"{rubric}:")
    assert reason in line
    assert digest(rubric) == before


# --- 3. template runtime errors ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("{{ (text|length) / (text|length - 11) }}", "ZeroDivisionError: division by zero"),
        ("{{ text + 1 }}", 'TypeError: can only concatenate str (not "int") to str'),
    ],
)
def test_template_runtime_errors_fail_validate_not_annotate(bounded, tmp_path, template, reason):
    rubric, items = _rubric(tmp_path, "Text:\n\n" + template), _items(tmp_path)
    before = digest(rubric, items)
    r = bounded("rubric", "validate", rubric, "--data", items)
    r.assert_one_error(f"Error: {rubric}:7:1: template: item 7: {reason}")
    r = bounded("rubric", "render", rubric, "--data", items)
    r.assert_one_error(f"Error: {rubric}:7:1: template: item 7: {reason}")
    r = bounded("annotate", items, "--rubric", rubric, "--model", "m", "--dry-run",
                "--run-db", tmp_path / "runs.sqlite")  # fmt: skip
    r.assert_one_error(f"Error: {rubric}:7:1: template: item 7: {reason}")
    assert digest(rubric, items) == before
