"""API routes of the manifests app: (prefix, viewset) pairs registered by wufei/urls.py."""

ROUTES: list = []
