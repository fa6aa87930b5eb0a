"""The guards of the public forms: the client key, the signed sum, the honeypot."""

from __future__ import annotations

import hashlib
import re
import time

import pytest
from django.core import signing
from django.test import RequestFactory
from hypothesis import given, settings
from hypothesis import strategies as st

from wufei.cases import human_check
from wufei.cases.human_check import HumanCheckMixin, challenge, check, client_key, verify
from wufei.core.errors import Invalid

QUESTION = re.compile(r"^(\d+) (加|减) (\d+) 等于几？$")


def solve(question: str) -> int:
    match = QUESTION.match(question)
    assert match, question
    a, op, b = int(match[1]), match[2], int(match[3])
    return a + b if op == "加" else a - b


def request(remote="203.0.113.7", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/public/reports/new/", **extra)


# --- the client key ----------------------------------------------------------------------------


def test_the_key_is_a_keyed_digest_of_the_address(settings):
    key = client_key(request())
    assert key == hashlib.sha256(f"{settings.SECRET_KEY}203.0.113.7".encode()).hexdigest()
    assert "203.0.113.7" not in key
    assert client_key(request()) == key
    assert client_key(request("203.0.113.8")) != key


def test_forwarded_for_is_ignored_without_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = []
    assert human_check.client_ip(request(forwarded="198.51.100.1")) == "203.0.113.7"


def test_forwarded_for_is_believed_from_a_trusted_proxy_only(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    behind = request("10.0.0.2", forwarded="198.51.100.1, 10.0.0.2")
    assert human_check.client_ip(behind) == "198.51.100.1"
    # A client writing its own header cannot choose its address: the proxy's entry is last.
    spoofed = request("10.0.0.2", forwarded="1.2.3.4, 198.51.100.9")
    assert human_check.client_ip(spoofed) == "198.51.100.9"
    assert human_check.client_ip(request(forwarded="198.51.100.1")) == "203.0.113.7"
    assert human_check.client_ip(request("10.0.0.2", forwarded="garbage")) == "10.0.0.2"


# --- the sum -------------------------------------------------------------------------------------


def test_a_right_answer_passes_once():
    asked = challenge()
    answer = solve(asked.question)
    assert 0 <= answer <= 20
    assert not verify(asked.token, answer + 1)
    assert verify(asked.token, str(answer))
    assert not verify(asked.token, answer)  # a solved token cannot be replayed


def test_answers_typed_on_a_phone_count():
    for typed in ("{n}", " {n} ", "{wide}"):
        asked = challenge()
        n = solve(asked.question)
        wide = "".join(chr(ord(c) + 0xFEE0) for c in str(n))  # full-width digits
        assert verify(asked.token, typed.format(n=n, wide=wide)), typed
    assert human_check.parse_answer("一二") == 12
    assert human_check.parse_answer("") is None
    assert human_check.parse_answer(0) == 0 and human_check.parse_answer("0") == 0  # 5 减 5
    assert human_check.parse_answer(None) is None
    assert human_check.parse_answer("7.0") is None


def test_the_token_does_not_give_the_answer_away():
    asked = challenge()
    payload = signing.loads(asked.token, salt=human_check.SALT)
    answer = solve(asked.question)
    assert str(answer) not in {str(v) for v in payload.values() if v != payload["t"]}
    assert payload["h"] != hashlib.sha256(str(answer).encode()).hexdigest()


def test_a_forged_or_stale_token_fails():
    asked = challenge()
    answer = solve(asked.question)
    assert not verify(asked.token[:-2] + "xx", answer)
    assert not verify("", answer)
    now = time.time()
    old = challenge(now=now - 901)
    with pytest.raises(Invalid) as refused:
        check(old.token, solve(old.question), now=now)
    assert refused.value.code == "human_check_expired"
    assert refused.value.field == "human_answer"
    fresh = challenge(now=now - 899)
    assert verify(fresh.token, solve(fresh.question), now=now)
    with pytest.raises(Invalid) as refused:
        check(challenge().token, "abc")
    assert refused.value.code == "human_check_failed"


@given(st.integers(min_value=0, max_value=10_000))
@settings(max_examples=30, deadline=None)
def test_questions_are_small_and_their_answers_right(_n):
    asked = challenge()
    answer = solve(asked.question)
    assert 0 <= answer <= 20
    wrong = [v for v in range(-3, 25) if v != answer]
    assert not any(
        human_check._outcome(asked.token, v, max_age=900, now=None, consume=False) == "ok"
        for v in wrong
    )


# --- the form mixin and the honeypot --------------------------------------------------------


class Booking(HumanCheckMixin):
    pass


def test_the_form_mixin_checks_and_always_asks_anew():
    blank = Booking()
    answer = solve(blank.question)
    good = Booking({"human_token": blank.fresh_token, "human_answer": str(answer)})
    assert good.is_valid(), good.errors
    assert good.data["human_token"] != blank.fresh_token  # the next question is a new one
    again = Booking({"human_token": blank.fresh_token, "human_answer": str(answer)})
    assert not again.is_valid()
    assert again.errors.as_data()["human_answer"][0].code == "human_check_failed"
    asked = Booking()
    trap = Booking(
        {
            "human_token": asked.fresh_token,
            "human_answer": str(solve(asked.question)),
            "website": "http://spam.example",
        }
    )
    assert not trap.is_valid()
    assert trap.non_field_errors().as_data()[0].code == "honeypot"
    assert human_check.honeypot_filled({"website": " x "})
    assert not human_check.honeypot_filled({"website": "  "})
    assert 'aria-hidden="true"' in str(Booking()["website"].as_field_group())
