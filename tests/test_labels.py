from __future__ import annotations

import pytest

from course_utils.labels import label_mappings, label_names

EMOTIONS = ["sadness", "joy", "love", "anger", "fear", "surprise"]


def test_mappings_of_a_class_label_are_inverse() -> None:
    from datasets import ClassLabel

    id2label, label2id = label_mappings(ClassLabel(names=EMOTIONS))
    assert id2label == dict(enumerate(EMOTIONS))
    assert label2id == {name: i for i, name in enumerate(EMOTIONS)}
    assert all(label2id[id2label[i]] == i for i in id2label)


def test_mappings_agree_with_class_label_conversions() -> None:
    from datasets import ClassLabel

    feature = ClassLabel(names=EMOTIONS)
    id2label, label2id = label_mappings(feature)
    assert [id2label[i] for i in range(6)] == [feature.int2str(i) for i in range(6)]
    assert [label2id[name] for name in EMOTIONS] == [feature.str2int(name) for name in EMOTIONS]


def test_a_plain_list_of_names_works() -> None:
    assert label_mappings(["neg", "pos"]) == ({0: "neg", 1: "pos"}, {"neg": 0, "pos": 1})


def test_repeated_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unique; repeated: joy"):
        label_names(["joy", "sadness", "joy"])


def test_no_names_is_refused() -> None:
    with pytest.raises(ValueError, match="no class names"):
        label_names([])


def test_something_without_names_is_refused() -> None:
    with pytest.raises(ValueError, match="ClassLabel or a sequence"):
        label_names(42)
    with pytest.raises(ValueError, match="ClassLabel or a sequence"):
        label_names("joy")
