"""Wufei (无废): the zero-waste-city solid-waste platform."""

__version__ = "0.1.0"
