"""Chinese first: the language is the one the user chose, else Chinese, never the browser's.

Django's ``LocaleMiddleware`` falls back to the browser's ``Accept-Language``, so a browser set
to English would get English pages although nobody asked. This subclass keeps everything else
(the ``set_language`` cookie, ``Content-Language``, ``Vary``) and only drops that fallback.
Enable it in place of ``django.middleware.locale.LocaleMiddleware``.
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


def chosen_language(request) -> str:
    """The language of the ``set_language`` cookie if it is offered, else LANGUAGE_CODE."""
    offered = {code for code, _name in settings.LANGUAGES}
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen:
        chosen = translation.get_supported_language_variant(chosen) if chosen in offered else None
    return chosen or settings.LANGUAGE_CODE


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Pages: Chinese unless the user chose otherwise. API: also honour Accept-Language, which
    is how a program asks for its error messages in English."""

    def process_request(self, request):
        if request.path.startswith("/api/"):
            return super().process_request(request)
        language = chosen_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
