"""Every kind of rubric error names the file, the line:column and the key path."""

from __future__ import annotations

import pytest

from edukit.errors import RubricError
from edukit.rubric import check_data, load_rubric


def _error(path) -> str:
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    return info.value.format()


def test_unknown_key_points_at_the_typo(write_rubric):
    path = write_rubric(
        """
        name: demo
        version: "1"
        task: binary
        labels:
          - name: confusion
            definiton: asks a math question
        """
    )
    assert _error(path) == (
        f"{path}:6:5: labels[0].definiton: unknown key (did you mean 'definition'?)"
    )


def test_unknown_top_level_key(write_rubric):
    path = write_rubric(
        """
        name: demo
        version: "1"
        task: binary
        lables: []
        labels:
          - {name: a, definition: b}
        """
    )
    assert _error(path) == f"{path}:4:1: lables: unknown key (did you mean 'labels'?)"


def test_missing_required_key_points_at_its_parent(write_rubric):
    path = write_rubric(
        """
        name: demo
        version: "1"
        task: binary
        labels:
          - name: confusion
        """
    )
    assert _error(path) == f"{path}:5:5: labels[0]: missing required key 'definition'"


def test_bad_task_value(write_rubric):
    path = write_rubric(
        """
        name: demo
        version: "1"
        task: multiple
        labels:
          - {name: a, definition: b}
        """
    )
    assert _error(path).startswith(f"{path}:3:1: task: Input should be 'binary', 'single'")


def test_duplicate_labels(write_rubric):
    path = write_rubric(
        """
        name: demo
        version: "1"
        task: multi
        labels:
          - name: confusion
            definition: one
          - name: gratitude
            definition: two
          - name: confusion
            definition: three
        """
    )
    assert _error(path) == (
        f"{path}:9:5: labels[2].name: duplicate label 'confusion' (first defined at labels[0])"
    )


def test_duplicate_yaml_key(write_rubric):
    path = write_rubric(
        """
        name: demo
        version: "1"
        name: other
        task: binary
        labels: [{name: a, definition: b}]
        """
    )
    assert _error(path) == f"{path}:3:1: name: duplicate key"


def test_example_naming_unknown_label(write_rubric):
    path = write_rubric(
        """
        name: demo
        version: "1"
        task: multi
        labels:
          - {name: confusion, definition: one}
          - {name: gratitude, definition: two}
        examples:
          - item: {text: thanks!}
            labels: [gratitude]
          - item: {text: what is a limit}
            labels: [confused]
        """
    )
    assert _error(path) == (
        f"{path}:10:5: example names unknown label 'confused' (did you mean 'confusion'?)"
    )


def test_example_file_naming_unknown_label_points_at_its_line(write_rubric, tmp_path):
    (tmp_path / "shots.jsonl").write_text(
        '{"text": "thanks!", "labels": ["gratitude"]}\n\n{"text": "hm", "labels": ["nope"]}\n',
        encoding="utf-8",
    )
    path = write_rubric(
        """
        name: demo
        version: "1"
        task: multi
        labels:
          - {name: gratitude, definition: two}
        examples_file: shots.jsonl
        """
    )
    assert _error(path) == f"{tmp_path / 'shots.jsonl'}:3: example names unknown label 'nope'"


@pytest.mark.parametrize(
    ("tag_line", "tag"),
    [
        ("description: !!python/object:os.system {}", "tag:yaml.org,2002:python/object:os.system"),
        ("description: !!python/name:os.system ''", "tag:yaml.org,2002:python/name:os.system"),
        ("description: !custom x", "!custom"),
        ("description: !!set {a: null}", "tag:yaml.org,2002:set"),
    ],
)
def test_unsafe_yaml_tags_are_refused_with_their_line(write_rubric, tag_line, tag):
    path = write_rubric(
        f"""
        name: demo
        version: "1"
        task: binary
        {tag_line}
        labels: [{{name: a, definition: b}}]
        """
    )
    assert _error(path) == f"{path}:4:14: description: unsafe or unknown YAML tag {tag!r}"


def test_yaml_syntax_error_has_a_line(write_rubric):
    path = write_rubric('name: demo\nversion: "1\ntask: binary\n')
    message = _error(path)
    assert message.startswith(f"{path}:4:1: invalid YAML")


def test_single_needs_a_target(write_rubric):
    path = write_rubric(
        """
        name: demo
        version: "1"
        task: single
        labels:
          - {name: a, definition: b}
          - {name: c, definition: d}
        """
    )
    assert _error(path) == (
        f"{path}:3:1: task: a single-choice rubric needs `target` (e.g. target: move)"
    )


def test_values_must_map_both_answers(write_rubric):
    path = write_rubric(
        """
        name: demo
        version: "1"
        task: binary
        labels:
          - name: english
            definition: written in English
            values: {true: 1, false: 1}
        """
    )
    assert _error(path).startswith(f"{path}:7:5: labels[0].values: values must map true and")


def test_template_field_missing_from_data_points_at_its_template_line(write_rubric):
    path = write_rubric(
        """
        name: demo
        version: "1"
        task: binary
        template: |
          Video: {{ video_name }}
          Comment: {{ comment }}
        labels: [{name: a, definition: b}]
        """
    )
    rubric = load_rubric(path)
    with pytest.raises(RubricError) as info:
        check_data(rubric, ["item_id", "video_name", "text"], data_name="items.csv")
    assert info.value.format() == (
        f"{path}:6:1: template: field 'comment' is not a column of items.csv "
        "(columns: item_id, video_name, text)"
    )


def test_id_field_missing_from_data(write_rubric):
    path = write_rubric(
        """
        name: demo
        version: "1"
        task: binary
        unit: {id_field: comment_id}
        labels: [{name: a, definition: b}]
        """
    )
    with pytest.raises(RubricError) as info:
        check_data(load_rubric(path), ["item_id", "text"], data_name="d.csv")
    assert info.value.format().startswith(
        f"{path}:4:8: unit.id_field: field 'comment_id' is not a column of d.csv"
    )


def test_leakage_warning_names_example_and_item(write_rubric):
    path = write_rubric(
        """
        name: demo
        version: "1"
        task: multi
        labels: [{name: gratitude, definition: thanks}]
        examples:
          - item: {text: "Thank  you, professor!"}
            labels: [gratitude]
          - item: {text: "Unseen"}
            labels: []
        """
    )
    warnings = check_data(
        load_rubric(path),
        ["item_id", "text"],
        {"7134": "thank you, Professor!", "8": "other"},
        data_name="d.csv",
    )
    assert warnings == [
        f"{path}:6:5: few-shot example 1 also appears in d.csv (item 7134): it leaks into "
        "the evaluation set"
    ]


def test_per_label_template_only_for_binary(write_rubric):
    path = write_rubric(
        """
        name: demo
        version: "1"
        task: multi
        labels:
          - name: a
            definition: b
            template: "{{ text }}"
        """
    )
    assert (
        _error(path)
        == f"{path}:7:5: labels[0].template: only binary rubrics allow a per-label template"
    )


def test_readme_example_is_a_valid_rubric(repo_root, tmp_path):
    readme = (repo_root / "rubrics" / "README.md").read_text(encoding="utf-8")
    example = readme.split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "more-examples.jsonl").write_text(
        '{"video_name": "L9", "comment": "Hola", "labels": []}\n', encoding="utf-8"
    )
    (tmp_path / "r.yaml").write_text(example, encoding="utf-8")
    rubric = load_rubric(tmp_path / "r.yaml")
    assert (rubric.name, rubric.task, rubric.labels) == (
        "lecture-feedback",
        "binary",
        ["confusion", "english"],
    )
    assert rubric.defaults == {
        "model": "gpt-4o-mini",
        "temperature": 0,
        "seed": 7,
        "max_tokens": 200,
    }
    assert len(rubric.examples) == 2
