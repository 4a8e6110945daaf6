"""One module per command: ``commands/move_task.py`` is ``spec-kitty move-task``.

Each module's command function takes what the command line gives and returns a
:class:`spec_kitty_cli._output.Report` (or raises a structured error); ``app.py``
holds the typer signatures and hands the function to ``_output.run``, which renders
the report for people or as one JSON document.
"""
