"""Screens: the worklist, the report editor, and modal dialogs (help, recover, override, ...)."""
