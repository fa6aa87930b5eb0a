from django.apps import AppConfig


class ManifestsConfig(AppConfig):
    name = "wufei.manifests"
    label = "manifests"
    verbose_name = "电子联单"

    def ready(self) -> None:
        from wufei.manifests.legs import manifest_containers, manifest_legs
        from wufei.manifests.models import Manifest
        from wufei.manifests.services import booked_codes
        from wufei.trace.ledger import register_chain_owner
        from wufei.trace.selectors import register_leg_provider
        from wufei.trace.services import register_booking_check

        register_chain_owner(Manifest, "number")
        register_leg_provider(manifest_legs, resolve=manifest_containers)
        register_booking_check(booked_codes)
