"""PHP-style form bodies: bracketed keys nest; anything else is MalformedForm, never a crash."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referral.crm.forms import MalformedForm, parse_form


def test_bracketed_keys_nest():
    body = b"leads[status][0][id]=1&leads[status][0][status_id]=142&account[subdomain]=x&ts="
    assert parse_form(body) == {
        "leads": {"status": {"0": {"id": "1", "status_id": "142"}}},
        "account": {"subdomain": "x"},
        "ts": "",
    }


@pytest.mark.parametrize(
    "body", [b"\xff\xfe", b"a[b]=1&a=2", b"a=1&a[b]=2", b"[x]=1", b"a[1][2][3][4][5][6]=1"]
)
def test_what_no_crm_sends_is_refused(body):
    with pytest.raises(MalformedForm):
        parse_form(body)


@given(st.binary(max_size=200))
def test_any_bytes_parse_or_are_refused_cleanly(body):
    with contextlib.suppress(MalformedForm):
        assert isinstance(parse_form(body), dict)
