"""Companion package of the course notebooks.

The top level holds what the notebooks import for the talks: the talks' code
(``weighted_trainer``, ``finetuning``, ``class_weights``, ``padding``, ``tokenizer_training``,
``accelerate_training``), the helpers a lesson shows (``metrics``, ``class_weights``, ``training_log``,
``plots``, ``preflight``), the check cells' ``claims``, the ``exercises`` checkers, and the
first call of every notebook (``notebook_setup.setup``, ``hub_session.connect_hub``,
``environment_info`` for notebook 00). The machinery that makes the profiles, the local Hub and
the tests work lives in :mod:`course_utils.machinery`.

Importing ``course_utils`` imports nothing heavy: each module imports torch, TensorFlow,
``datasets`` or ``huggingface_hub`` where it needs them, so the package works in both the
main and the keras environment.
"""

__version__ = "0.1.0"
