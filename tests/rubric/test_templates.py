"""Templates are sandboxed: Python internals and the environment are out of reach."""

from __future__ import annotations

import pytest

from edukit.errors import RubricError
from edukit.rubric import load_rubric

UNSAFE = [
    ("{{ text.__class__ }}", "template may not access '__class__'"),
    ("{{ text.__class__.__mro__[1].__subclasses__() }}", "template may not"),
    ("{{ ''['__class__'] }}", "template may not access '__class__'"),
    ("{{ cycler.__init__.__globals__.os.environ }}", "template may not"),
    ("{{ self._TemplateReference__context }}", "template may not"),
    ("{{ lipsum.__globals__['os'].popen('id').read() }}", "template may not"),
    ("{{ os.environ['HOME'] }}", "template may not use 'os'"),
    ("{{ environ }}", "template may not use 'environ'"),
    ("{{ namespace() }}", "template may not"),
    ("{{ text.format(text) }}", "template may not call functions or methods"),
    ("{% include '/etc/passwd' %}", "template may not include or import"),
    ("{% import 'x' as y %}", "template may not include or import"),
]


@pytest.mark.parametrize(("template", "message"), UNSAFE)
def test_unsafe_templates_are_refused_at_load(write_rubric, template, message):
    path = write_rubric(
        f"""
        name: demo
        version: "1"
        task: binary
        template: |
          Comment:
          {template}
        labels: [{{name: a, definition: b}}]
        """
    )
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    # The error lands on the template's own line (line 2 of the block, file line 6).
    assert info.value.format().startswith(f"{path}:6:1: template: {message}")


def test_unsafe_label_template_is_refused(write_rubric):
    path = write_rubric(
        """
        name: demo
        version: "1"
        task: binary
        labels:
          - name: a
            definition: b
            template: "{{ comment.__class__ }}"
        """
    )
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    assert info.value.format() == (
        f"{path}:7:5: labels[0].template: template may not access '__class__'"
    )


def test_template_syntax_error_has_its_line(write_rubric):
    path = write_rubric(
        """
        name: demo
        version: "1"
        task: binary
        template: |
          ok
          {{ text
        labels: [{name: a, definition: b}]
        """
    )
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    assert info.value.format().startswith(f"{path}:6:1: template: template syntax error")


def test_missing_field_at_render_names_field_and_item(write_rubric):
    path = write_rubric(
        """
        name: demo
        version: "1"
        task: multi
        template: "{{ video_name }}: {{ text }}"
        labels: [{name: a, definition: b}]
        """
    )
    rubric = load_rubric(path)
    with pytest.raises(RubricError) as info:
        rubric.requests({"item_id": "7134", "text": "hello"})
    assert info.value.format() == f"{path}:4:1: template: item 7134: 'video_name' is undefined"


def test_missing_field_in_an_example_fails_at_load(write_rubric):
    path = write_rubric(
        """
        name: demo
        version: "1"
        task: multi
        template: "{{ video_name }}: {{ text }}"
        labels: [{name: a, definition: b}]
        examples:
          - item: {text: hi}
            labels: [a]
        """
    )
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    assert info.value.format() == f"{path}:7:5: template: example 1: 'video_name' is undefined"


def test_missing_cells_render_empty_and_float_ids_become_integers(write_rubric):
    path = write_rubric(
        """
        name: demo
        version: "1"
        task: multi
        template: "[{{ video_name }}] {{ text }}"
        labels: [{name: a, definition: b}]
        """
    )
    (request,) = load_rubric(path).requests(
        {"item_id": 7134.0, "text": "hi", "video_name": float("nan")}
    )
    assert request.item_id == "7134"
    assert request.messages[-1] == {"role": "user", "content": "[] hi"}
