"""Guards of the public forms (residents' reports, event booking, the survey) without any
outside captcha service: who is writing (an irreversible key of the address, for rate limits),
a small signed sum a person answers in a second, and a honeypot field a person never fills.

``client_key(request)``: sha256 hex of SECRET_KEY + the client's IP address. The address is
REMOTE_ADDR; X-Forwarded-For is believed only when REMOTE_ADDR is one of the proxies listed in
``settings.TRUSTED_PROXIES`` (empty by default: behind no proxy the header is anyone's word).

``challenge()`` gives a question ("7 加 5 等于几？") and a token signed with
``django.core.signing``; the token carries the issue time, a nonce and a keyed hash of the
answer (an HMAC with SECRET_KEY: the token is readable, the answer is not). ``verify(token,
answer)`` answers True or False; a token is good for ``max_age`` seconds (15 minutes) and for
one correct answer only (remembered in the cache until it expires anyway), so a solved token
cannot be replayed by a script. ``check()`` is the same with a typed refusal
(:class:`~wufei.core.errors.Invalid`, field ``human_answer``, codes ``human_check_failed`` /
``human_check_expired``).
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
import time
import unicodedata
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wufei.core.errors import FieldError, Invalid

SALT = "wufei.cases.human_check"
MAX_AGE = 900  # seconds a question may be answered in
ANSWER_FIELD = "human_answer"
TOKEN_FIELD = "human_token"  # noqa: S105 (a field name, not a secret)
HONEYPOT_FIELD = "website"  # hidden from people by CSS; bots fill every field
_CHINESE_DIGITS = str.maketrans("零〇一二三四五六七八九", "00123456789")


# --- who is writing --------------------------------------------------------------------------


def _ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or behind a trusted proxy the nearest address in
    X-Forwarded-For that is not itself a trusted proxy."""
    remote = _ip(request.META.get("REMOTE_ADDR", "")) or ""
    trusted = {p for p in (_ip(p) for p in getattr(settings, "TRUSTED_PROXIES", ())) if p}
    if remote and remote in trusted:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        for part in reversed(forwarded.split(",")):
            address = _ip(part)
            if address is None:
                break  # garbage in the chain: stop believing it
            if address not in trusted:
                return address
    return remote


def client_key(request) -> str:
    """sha256 hex of SECRET_KEY + the client's IP: the same address gives the same key,
    and the key does not give the address back."""
    return hashlib.sha256(f"{settings.SECRET_KEY}{client_ip(request)}".encode()).hexdigest()


# --- the sum -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Challenge:
    question: str
    token: str


def _answer_hash(nonce: str, answer: int) -> str:
    return salted_hmac(SALT, f"{nonce}:{answer}").hexdigest()


def challenge(*, now: float | None = None) -> Challenge:
    """A sum or difference of small numbers (the result 0–20) and its signed token."""
    a, b = secrets.randbelow(9) + 2, secrets.randbelow(9) + 1
    if secrets.randbelow(2):
        question, answer = _("%(a)s 加 %(b)s 等于几？") % {"a": a, "b": b}, a + b
    else:
        a, b = max(a, b), min(a, b)
        question, answer = _("%(a)s 减 %(b)s 等于几？") % {"a": a, "b": b}, a - b
    nonce = secrets.token_hex(8)
    issued = int(now if now is not None else time.time())
    token = signing.dumps({"n": nonce, "t": issued, "h": _answer_hash(nonce, answer)}, salt=SALT)
    return Challenge(question=question, token=token)


def parse_answer(answer) -> int | None:
    """A typed answer as a number: full-width and Chinese digits count (１２, 一二 → 12)."""
    raw = "" if answer is None else str(answer)  # 0 is an answer (a difference of equals)
    text = unicodedata.normalize("NFKC", raw).strip().translate(_CHINESE_DIGITS)
    if not text.isdigit() or len(text) > 3:
        return None
    return int(text)


def _outcome(token: str, answer, *, max_age: int, now: float | None, consume: bool) -> str:
    """ "ok", "expired" or "failed"."""
    try:
        data = signing.loads(token or "", salt=SALT)
        nonce, issued, expected = str(data["n"]), int(data["t"]), str(data["h"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return "failed"
    clock = now if now is not None else time.time()
    if clock - issued > max_age or issued - clock > 60:
        return "expired"
    value = parse_answer(answer)
    if value is None or not constant_time_compare(_answer_hash(nonce, value), expected):
        return "failed"
    if consume and not cache.add(f"{SALT}:used:{nonce}", 1, timeout=max_age + 60):
        return "failed"  # this token was already answered once
    return "ok"


def verify(token: str, answer, max_age: int = MAX_AGE, *, now: float | None = None) -> bool:
    """Whether ``answer`` solves the question of ``token``, in time, for the first time."""
    return _outcome(token, answer, max_age=max_age, now=now, consume=True) == "ok"


def check(token: str, answer, max_age: int = MAX_AGE, *, now: float | None = None) -> None:
    """``verify`` with a typed refusal on the answer field."""
    outcome = _outcome(token, answer, max_age=max_age, now=now, consume=True)
    if outcome == "expired":
        raise Invalid(
            [FieldError(ANSWER_FIELD, "human_check_expired", _("验证题已过期，请回答新的题目。"))]
        )
    if outcome != "ok":
        raise Invalid(
            [FieldError(ANSWER_FIELD, "human_check_failed", _("验证题答案不正确，请重新计算。"))]
        )


# --- the honeypot --------------------------------------------------------------------------------


def honeypot_filled(data) -> bool:
    """True when the hidden field came back filled: a script, not a person."""
    return bool(str((data or {}).get(HONEYPOT_FIELD, "") or "").strip())


HONEYPOT_TEMPLATE = "cases/reports/_honeypot.html"  # off screen, aria-hidden, untabbable


class HumanCheckMixin(forms.Form):
    """Three fields for any public form: the token (hidden), the answer and the honeypot.

    Show ``form.question``; ``form.is_valid()`` refuses a wrong or stale answer (on the answer
    field) and a filled honeypot (on the form). After validation the form carries a new
    question and token whatever the outcome (the old token is spent or wrong), so a page that
    shows the form again, for this or any other error, asks a fresh question."""

    human_token = forms.CharField(widget=forms.HiddenInput, required=False)
    human_answer = forms.CharField(
        label=gettext_lazy("验证题"),
        max_length=8,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    website = forms.CharField(
        label=gettext_lazy("网址（请勿填写）"),
        required=False,
        template_name=HONEYPOT_TEMPLATE,  # type: ignore[call-arg]  # Django 5 has it
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.renew_challenge()

    def renew_challenge(self) -> None:
        fresh = challenge()
        self.question = fresh.question
        self.fresh_token = fresh.token
        self.fields[TOKEN_FIELD].initial = fresh.token

    def full_clean(self) -> None:
        super().full_clean()
        if self.is_bound:  # show the new question, not the spent one
            data = self.data.copy()  # type: ignore[attr-defined]  # a QueryDict or a dict
            data[TOKEN_FIELD], data[ANSWER_FIELD] = self.fresh_token, ""
            self.data = data

    def clean(self):
        cleaned = super().clean()
        if honeypot_filled(self.data):
            raise forms.ValidationError(_("提交未通过校验。"), code="honeypot")
        try:
            check(self.data.get(TOKEN_FIELD, ""), self.data.get(ANSWER_FIELD, ""))
        except Invalid as exc:
            self.add_error(ANSWER_FIELD, forms.ValidationError(exc.message, code=exc.code))
        return cleaned
