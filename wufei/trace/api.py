"""API routes of the trace app: (prefix, viewset) pairs registered by wufei/urls.py."""

ROUTES: list = []
