"""The default model's factory: data streams, the trainer, export and research probes.

Not part of the installed `deskpilot` package: run from a checkout, with the ``build`` extra
(``pip install -e '.[build]'``), as ``python -m training.train_default ...``.
"""
