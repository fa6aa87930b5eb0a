from django.apps import AppConfig


class ManifestsConfig(AppConfig):
    name = "wufei.manifests"
    label = "manifests"
    verbose_name = "电子联单"

    def ready(self) -> None:
        from wufei.manifests.models import Manifest
        from wufei.trace.ledger import register_chain_owner

        register_chain_owner(Manifest, "number")
