"""A notebook's headline, from nbformat's notebooks and from raw JSON alike."""

from __future__ import annotations

from course_utils.machinery.headline import headline_of


def cell(tags: list[str], *texts: object) -> dict:
    return {"cell_type": "code", "metadata": {"tags": tags}, "outputs": [{"output_type": "stream", "text": t} for t in texts]}


def test_the_first_printed_line_of_the_tagged_cell() -> None:
    nb = {"cells": [cell([], "not me\n"), cell(["headline"], "\n  F1 0.81 \nmore\n")]}
    assert headline_of(nb) == "F1 0.81"


def test_raw_json_keeps_output_lines_as_a_list() -> None:
    nb = {"cells": [cell(["headline"], ["", "macro F1 0.83\n", "rest\n"])]}
    assert headline_of(nb) == "macro F1 0.83"


def test_no_tagged_cell_or_no_output_gives_an_empty_headline() -> None:
    assert headline_of({"cells": [cell([], "x\n")]}) == ""
    assert headline_of({"cells": [cell(["headline"])]}) == ""
