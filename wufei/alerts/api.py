"""API routes of the alerts app: (prefix, viewset) pairs registered by wufei/urls.py."""

ROUTES: list = []
