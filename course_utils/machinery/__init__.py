"""The course's machinery: what makes every notebook run the same way everywhere.

A learner never needs these modules to follow a talk; they are grouped here so that the top level
of ``course_utils`` shows what the notebooks teach and check.

* ``profiles``, ``assets``: which datasets, checkpoints and sizes each notebook uses, per profile,
  and the files behind them.
* ``seeding``, ``smoke_hub``, ``standin``, ``gpt2_tokenizer``: the smoke profile's local Hub,
  seeded with stand-in datasets and genuine offline weights under the talks' own ids.
* ``rehearsal``: the full profile's dress rehearsal against a local Hub (same seeding).
* ``hub_server``: the local Hub itself (command line: ``course-hub``).
* ``fetch``: the full profile's assets fetched ahead of a workshop, verified offline.
* ``environments``: the two Python environments and their Jupyter kernels.
* ``notebook_bindings``, ``headline``, ``repository``: the tests' and the website's helpers.
"""
