"""The login lockout behind a reverse proxy: clients are counted by the address the trusted proxy
reports, not by the proxy's own (everyone would share it), and X-Forwarded-For is believed only
as far as trusted proxies wrote it."""

from types import SimpleNamespace

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from brigade.clientip import client_ip, parse_networks
from tests.conftest import PASSWORD

WRONG = "not-the-password"


def attempt(client, user, password=WRONG):
    return client.post(reverse("login"), {"username": user.username, "password": password})


def fail_until_locked(client, user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, user).status_code == 200
    assert attempt(client, user).status_code == 429


def test_behind_a_trusted_proxy_each_client_is_counted_by_its_own_address(leader, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    guesser = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    fail_until_locked(guesser, leader, settings)
    assert attempt(guesser, leader, PASSWORD).status_code == 429  # the guesser stays locked out

    # the leader, behind the same proxy from another address, still logs in before the deadline
    own = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert attempt(own, leader).status_code == 200  # a typo of the leader's own is no lockout
    response = attempt(own, leader, PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    counted = set(AccessAttempt.objects.values_list("ip_address", flat=True))
    assert "127.0.0.1" not in counted and "203.0.113.5" in counted


def test_addresses_a_client_writes_itself_left_of_the_proxys_are_ignored(leader, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        # nginx appends the address it was reached from; what the client sent stays to its left
        spoofing = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 203.0.113.5")
        assert attempt(spoofing, leader).status_code == 200
    spoofing = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.99, 203.0.113.5")
    assert attempt(spoofing, leader).status_code == 429


def test_a_forwarded_header_from_an_untrusted_address_is_ignored(leader, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]  # the proxy; these clients reach Django directly
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        direct = Client(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        assert attempt(direct, leader).status_code == 200
    direct = Client(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert attempt(direct, leader).status_code == 429  # a new header every time evades nothing
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}
    other = Client(REMOTE_ADDR="198.51.100.8")
    assert attempt(other, leader, PASSWORD).status_code == 302


def test_without_trusted_proxies_the_header_is_never_read(leader, settings):
    settings.TRUSTED_PROXIES = []
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(Client(HTTP_X_FORWARDED_FOR=f"203.0.113.{n}"), leader).status_code == 200
    assert attempt(Client(HTTP_X_FORWARDED_FOR="203.0.113.99"), leader).status_code == 429


def _request(remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return SimpleNamespace(META=meta)


@pytest.mark.parametrize(
    "remote, forwarded, client",
    [
        ("127.0.0.1", None, "127.0.0.1"),  # nothing forwarded: the proxy itself
        ("127.0.0.1", "203.0.113.5", "203.0.113.5"),
        ("127.0.0.1", "203.0.113.5, 10.1.2.3", "203.0.113.5"),  # two proxies, both trusted
        ("127.0.0.1", "1.1.1.1, 203.0.113.5, 10.1.2.3", "203.0.113.5"),  # client-written left part
        ("127.0.0.1", "junk, 203.0.113.5", "203.0.113.5"),
        ("127.0.0.1", "203.0.113.5, junk", "127.0.0.1"),  # a trusted proxy never writes junk
        ("127.0.0.1", "10.1.2.3", "10.1.2.3"),  # all trusted: the farthest one
        ("127.0.0.1", "203.0.113.5:51234", "203.0.113.5"),
        ("::1", "[2001:db8::7]:443", "2001:db8::7"),
        ("::ffff:127.0.0.1", "203.0.113.5", "203.0.113.5"),
        ("198.51.100.7", "203.0.113.5", "198.51.100.7"),  # not from a trusted proxy
    ],
)
def test_the_client_address(settings, remote, forwarded, client):
    settings.TRUSTED_PROXIES = ["127.0.0.1", "::1", "10.0.0.0/8"]
    assert client_ip(_request(remote, forwarded)) == client


def test_a_bad_trusted_proxy_is_named_in_chinese():
    assert [str(n) for n in parse_networks(["127.0.0.1", " 10.0.0.0/8 ", "", "::1"])] == [
        "127.0.0.1/32",
        "10.0.0.0/8",
        "::1/128",
    ]
    with pytest.raises(ValueError, match="TRUSTED_PROXIES 中的「nginx」不是 IP 地址或网段"):
        parse_networks(["nginx"])
