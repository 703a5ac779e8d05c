"""Widgets of the report screen; each owns its CSS."""
