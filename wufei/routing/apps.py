from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "wufei.routing"
    label = "routing"
    verbose_name = "收运路线"
