from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "wufei.registry"
    label = "registry"
    verbose_name = "基础信息登记"
