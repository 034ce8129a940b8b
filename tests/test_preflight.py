"""The pre-flight check: a ready dataset passes, and every mistake it knows gets its message.

Needs ``datasets`` (both environments); the torch-tensor case runs in the main environment.
"""

from __future__ import annotations

import pytest

from course_utils.preflight import PreflightError, check_before_training

NAMES = ["sadness", "joy", "surprise"]


def make(columns: dict, class_names: list[str] | None = NAMES):
    """A Dataset from columns; label columns become a ClassLabel with ``class_names``."""
    from datasets import ClassLabel, Dataset

    data = Dataset.from_dict(columns)
    for name in ("label", "labels"):
        if class_names is not None and name in data.column_names:
            data = data.cast_column(name, ClassLabel(names=class_names))
    return data


def ready(labels=(0, 1, 2, 1)):
    return make(
        {
            "text": ["a"] * len(labels),
            "input_ids": [[101, 7, 102]] * len(labels),
            "attention_mask": [[1, 1, 1]] * len(labels),
            "labels": list(labels),
        }
    )


def test_a_ready_dataset_passes() -> None:
    assert check_before_training(ready(), num_labels=3) == []


def test_a_ready_dataset_dict_with_weights_passes() -> None:
    from datasets import DatasetDict

    data = DatasetDict({"train": ready(), "validation": ready((0, 0))})
    assert check_before_training(data, num_labels=3, class_weights=[0.5, 0.7, 0.8]) == []


def test_preflight_errors_are_value_errors() -> None:
    assert issubclass(PreflightError, ValueError)


def test_an_untokenized_dataset_is_caught() -> None:
    raw = make({"text": ["i feel fine", "i am scared"], "label": [1, 2]})
    with pytest.raises(PreflightError) as info:
        check_before_training(raw, num_labels=3)
    assert str(info.value) == (
        "The dataset has no 'input_ids' column: it is not tokenized yet. "
        "Run dataset.map(tokenize, batched=True) with the checkpoint's tokenizer before training."
    )


def test_a_label_column_not_renamed_is_a_note_not_an_error() -> None:
    # DataCollatorWithPadding renames 'label' to 'labels', so the Trainer trains on such data.
    data = ready().rename_column("labels", "label")
    assert check_before_training(data, num_labels=3) == [
        "Note: the dataset has 'label' rather than 'labels'. DataCollatorWithPadding renames it for the "
        "model, so the Trainer works; other collators and your own training loop do not. "
        "dataset.rename_column('label', 'labels') makes it explicit."
    ]


def test_a_label_column_not_renamed_is_still_checked() -> None:
    data = ready((0, 1, 2, 5)).rename_column("labels", "label")
    with pytest.raises(PreflightError, match=r"has label ids 5, outside 0\.\.2"):
        check_before_training(data, num_labels=3)
    with pytest.raises(PreflightError, match=r"class 'surprise' \(id 2\) has no examples"):
        check_before_training(ready((0, 1, 1)).rename_column("labels", "label"), num_labels=3)


def test_no_label_column_at_all_is_caught() -> None:
    data = ready().remove_columns("labels")
    with pytest.raises(PreflightError, match="has no 'labels' column, so there is nothing to learn from") as info:
        check_before_training(data, num_labels=3)
    assert "columns now: attention_mask, input_ids, text" in str(info.value)


def test_the_split_is_named_in_a_dataset_dict() -> None:
    from datasets import DatasetDict

    data = DatasetDict({"train": ready(), "test": ready().rename_column("labels", "label")})
    [note] = check_before_training(data, num_labels=3)
    assert note.startswith("Note: split 'test' has 'label' rather than 'labels'.")
    everywhere = DatasetDict({name: ready().rename_column("labels", "label") for name in ("train", "test")})
    [note] = check_before_training(everywhere, num_labels=3)
    assert note.startswith("Note: splits 'train', 'test' have 'label' rather than 'labels'.")
    data = DatasetDict({"train": ready(), "test": ready().remove_columns("input_ids")})
    with pytest.raises(PreflightError, match="^Split 'test' has no 'input_ids' column"):
        check_before_training(data, num_labels=3)


def test_label_ids_outside_num_labels_are_caught() -> None:
    with pytest.raises(PreflightError) as info:
        check_before_training(ready((0, 1, 2, 1)), num_labels=2)
    assert str(info.value) == (
        "The dataset has label ids 2, outside 0..1 (num_labels=2). "
        "Make num_labels match the dataset's ClassLabel, or fix the label ids."
    )


def test_negative_label_ids_are_caught() -> None:
    data = make({"input_ids": [[1], [2]], "labels": [0, -100]}, class_names=None)
    with pytest.raises(PreflightError, match=r"label ids -100, outside 0\.\.2"):
        check_before_training(data, num_labels=3)


def test_float_labels_are_caught() -> None:
    data = make({"input_ids": [[1], [2]], "labels": [0.0, 1.0]}, class_names=None)
    with pytest.raises(PreflightError, match="labels of type float64, not integer class ids"):
        check_before_training(data, num_labels=3)


def test_a_class_with_no_examples_is_named() -> None:
    with pytest.raises(PreflightError) as info:
        check_before_training(ready((0, 1, 1, 0)), num_labels=3)
    assert str(info.value) == (
        "In the dataset, class 'surprise' (id 2) has no examples, so the model can never learn to "
        "predict it. Use more data or a stratified split, or drop the class and lower num_labels."
    )


def test_class_coverage_is_checked_on_the_train_split() -> None:
    from datasets import DatasetDict

    small_validation = DatasetDict({"train": ready(), "validation": ready((0,))})
    assert check_before_training(small_validation, num_labels=3) == []
    missing_in_train = DatasetDict({"train": ready((0, 0)), "validation": ready()})
    with pytest.raises(PreflightError, match=r"^In split 'train', classes 'joy' \(id 1\), 'surprise' \(id 2\) have no"):
        check_before_training(missing_in_train, num_labels=3)


def test_classes_without_names_are_named_by_id() -> None:
    data = make({"input_ids": [[1], [2]], "labels": [0, 0]}, class_names=None)
    with pytest.raises(PreflightError, match=r"class id 1 has no examples"):
        check_before_training(data, num_labels=2)


@pytest.mark.parametrize("weights", [[1.0, 1.0], [1.0] * 4, [[1.0, 1.0, 1.0]]], ids=["short", "long", "2-D"])
def test_weights_of_the_wrong_length_are_caught(weights) -> None:
    with pytest.raises(PreflightError, match=r"^class_weights has \d value\(s\) but num_labels is 3\. Compute one"):
        check_before_training(ready(), num_labels=3, class_weights=weights)


@pytest.mark.main_env
def test_weights_as_a_torch_tensor_are_checked() -> None:
    import torch

    check_before_training(ready(), num_labels=3, class_weights=torch.ones(3))
    with pytest.raises(PreflightError, match="class_weights has 6 value"):
        check_before_training(ready(), num_labels=3, class_weights=torch.ones(6))


def test_something_that_is_not_a_dataset_is_caught() -> None:
    with pytest.raises(PreflightError, match="Expected a datasets.Dataset or DatasetDict, got list"):
        check_before_training([{"text": "hi", "label": 0}], num_labels=2)


def test_an_empty_dataset_dict_is_caught() -> None:
    from datasets import DatasetDict

    with pytest.raises(PreflightError, match="has no splits"):
        check_before_training(DatasetDict(), num_labels=2)


@pytest.mark.parametrize("num_labels", [1, True, "6"])
def test_num_labels_must_be_an_integer_of_at_least_two(num_labels) -> None:
    with pytest.raises(PreflightError, match="num_labels must be an integer of at least 2"):
        check_before_training(ready(), num_labels=num_labels)


def test_the_untokenized_check_comes_first() -> None:
    """The notebook's demo runs the check on raw data, which is wrong in two ways at once."""
    raw = make({"text": ["x"], "label": [0]})
    with pytest.raises(PreflightError, match="not tokenized yet"):
        check_before_training(raw, num_labels=3)


# --- check_columns: before to_tf_dataset (notebook 02) ------------------------------------------


def tokenized_cola():
    from datasets import Dataset

    return Dataset.from_dict(
        {"sentence": ["a b", "c"], "label": [1, 0], "idx": [0, 1], "input_ids": [[101, 7, 8, 102], [101, 9, 102]],
         "attention_mask": [[1, 1, 1, 1], [1, 1, 1]]}
    )


def test_columns_a_ready_dataset_passes() -> None:
    from course_utils.preflight import check_columns

    assert check_columns(tokenized_cola(), ["input_ids", "attention_mask"], "label") is None


def test_columns_untokenized_data_is_caught() -> None:
    from datasets import Dataset

    from course_utils.preflight import check_columns

    raw = Dataset.from_dict({"sentence": ["a b"], "label": [1], "idx": [0]})
    with pytest.raises(PreflightError, match=r"^The dataset has no 'input_ids' column \(columns: sentence, label, idx\): it is not tokenized yet"):
        check_columns(raw, ["input_ids", "attention_mask"], "label")


def test_columns_a_missing_model_input_is_named() -> None:
    from course_utils.preflight import check_columns

    with pytest.raises(PreflightError, match=r"no column 'token_type_ids' .*tokenizer.model_input_names"):
        check_columns(tokenized_cola(), ["input_ids", "token_type_ids", "attention_mask"], "label")


def test_columns_a_missing_label_column_is_named() -> None:
    from course_utils.preflight import check_columns

    with pytest.raises(PreflightError, match=r"no label column 'grammatical' \(columns: sentence, label, idx, input_ids, attention_mask\)"):
        check_columns(tokenized_cola(), ["input_ids"], ["grammatical"])
    with pytest.raises(PreflightError, match=r"no label column 'grammatical' "):
        check_columns(tokenized_cola(), "input_ids", "grammatical")


@pytest.mark.parametrize(
    "columns, label_cols",
    [
        (["input_ids", "attention_mask"], "labels"),  # the talk's spelling: the collator renames label to labels
        (["input_ids", "attention_mask"], ["labels"]),
        (["input_ids", "attention_mask"], ["label"]),
        ("input_ids", "label"),  # to_tf_dataset takes one name for columns too
        ("input_ids", None),
        (None, None),
    ],
    ids=["labels as a string", "labels in a list", "label in a list", "columns as a string", "no labels", "every column"],
)
def test_columns_takes_what_to_tf_dataset_takes(columns, label_cols) -> None:
    from course_utils.preflight import check_columns

    assert check_columns(tokenized_cola(), columns, label_cols) is None


def test_columns_label_spellings_work_both_ways() -> None:
    from course_utils.preflight import check_columns

    renamed = tokenized_cola().rename_column("label", "labels")
    assert check_columns(renamed, ["input_ids"], "label") is None
    assert check_columns(renamed, ["input_ids"], "labels") is None


def test_columns_label_cols_without_columns_is_caught() -> None:
    from course_utils.preflight import check_columns

    with pytest.raises(PreflightError, match=r"^label_cols is given without columns, which to_tf_dataset refuses"):
        check_columns(tokenized_cola(), None, "label")


def test_columns_a_model_input_given_as_a_string_is_not_read_letter_by_letter() -> None:
    from course_utils.preflight import check_columns

    with pytest.raises(PreflightError, match=r"no column 'token_type_ids' \(columns:"):
        check_columns(tokenized_cola(), "token_type_ids", "labels")


@pytest.mark.keras_env
def test_columns_agrees_with_to_tf_dataset_on_the_talks_spelling() -> None:
    """What check_columns lets through, to_tf_dataset takes: label_cols='labels' on a 'label' column, columns as a str."""
    from transformers import AutoTokenizer, DataCollatorWithPadding

    from course_utils.machinery.assets import offline_minilm_path
    from course_utils.preflight import check_columns

    data = tokenized_cola()
    collator = DataCollatorWithPadding(AutoTokenizer.from_pretrained(offline_minilm_path()), return_tensors="tf")
    for columns, label_cols in ((["input_ids", "attention_mask"], "labels"), ("input_ids", "labels")):
        check_columns(data, columns, label_cols)
        features, labels = next(iter(data.to_tf_dataset(columns=columns, label_cols=label_cols, batch_size=2, collate_fn=collator)))
        assert labels.numpy().tolist() == [1, 0]


# --- checked_text_batches: a tokenizer's training corpus (notebook 04) -------------------------


def test_text_batches_pass_through_unchanged() -> None:
    from course_utils.preflight import checked_text_batches

    assert list(checked_text_batches(iter([["a", "b"], ("c",)]))) == [["a", "b"], ["c"]]
    # Texts one at a time train like batches (tokenizers accepts both), so they pass too.
    assert list(checked_text_batches(iter(["a text", "another"]))) == ["a text", "another"]


@pytest.mark.parametrize(
    "batches, expected",
    [
        ("the whole corpus", "read one character at a time"),
        (iter([["a"], {"text": ["b"]}]), "Batch 2 of the corpus is a dict"),
        (iter([["a", 3]]), "holds a int (3) among its texts"),
        (iter([5]), "Batch 1 of the corpus is a int"),
        (iter([]), "gave no text at all"),
        (iter([["", "  "]]), "gave no text at all"),
    ],
    ids=["string", "dicts", "number in batch", "number", "empty", "blank"],
)
def test_text_batches_of_the_wrong_kind_get_a_clear_error(batches, expected: str) -> None:
    from course_utils.preflight import checked_text_batches

    with pytest.raises(PreflightError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        list(checked_text_batches(batches))


@pytest.mark.main_env
def test_the_error_reaches_the_learner_through_the_tokenizer_trainer() -> None:
    from transformers import AutoTokenizer

    from course_utils.machinery.assets import offline_minilm_path
    from course_utils.preflight import checked_text_batches

    tokenizer = AutoTokenizer.from_pretrained(offline_minilm_path())
    with pytest.raises(PreflightError, match="is a dict"):
        tokenizer.train_new_from_iterator(checked_text_batches(iter([{"text": ["x"]}])), vocab_size=100, show_progress=False)
