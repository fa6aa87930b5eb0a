from django.apps import AppConfig


class SortingConfig(AppConfig):
    name = "wufei.sorting"
    label = "sorting"
    verbose_name = "生活垃圾分类"
