"""Transactional tests start from flushed tables: reload what the migrations loaded."""

from django.apps import apps


def ensure_reference_data() -> None:
    from wufei.accounts.departments import load_departments
    from wufei.registry.models import CodeList, Region
    from wufei.registry.reference import load_code_lists, load_regions

    if not Region.objects.filter(adcode="411002").exists():
        load_regions()
    if not CodeList.objects.exists():
        load_code_lists()
    load_departments(apps.get_model)
