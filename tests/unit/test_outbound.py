"""Which destinations a user-chosen URL may reach (no database, a fake resolver)."""

from __future__ import annotations

import pytest

from casemgr.channels.outbound import DestinationRefused, check_destination, parse_networks


def resolver(table):
    def resolve(host, port):
        if host not in table:
            raise OSError("no such host")
        return table[host]

    return resolve


PUBLIC = resolver({"hooks.example.com": ["93.184.216.34"], "mixed.example.com": ["93.184.216.34", "10.0.0.7"]})


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:5432/",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://172.16.5.5/hook",
        "http://100.64.0.1/hook",  # carrier-grade NAT
        "http://0.0.0.0/hook",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://[fd00::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://224.0.0.1/hook",
        "http://mixed.example.com/hook",  # one private record is enough to refuse
    ],
)
def test_private_loopback_link_local_and_reserved_destinations_are_refused(url):
    with pytest.raises(DestinationRefused, match="public addresses only"):
        check_destination(url, (), PUBLIC)


@pytest.mark.parametrize(
    "url, message",
    [
        ("ftp://hooks.example.com/x", "http:// or https://"),
        ("hooks.example.com/x", "http:// or https://"),
        ("https://user:secret@hooks.example.com/x", "user name or password"),
        ("https://nowhere.example.com/x", "does not resolve"),
        ("https://hooks.example.com:99999/x", "port"),
    ],
)
def test_unusable_urls_are_refused_with_the_reason(url, message):
    with pytest.raises(DestinationRefused, match=message):
        check_destination(url, (), PUBLIC)


def test_a_public_host_is_allowed_and_pinned_to_the_checked_address():
    destination = check_destination("https://hooks.example.com/casemgr?k=1", (), PUBLIC)
    assert (destination.scheme, destination.host, destination.port) == ("https", "hooks.example.com", 443)
    assert destination.target == "/casemgr?k=1" and destination.address == "93.184.216.34"


def test_the_operator_can_allow_an_internal_network():
    allowed = parse_networks("10.0.0.0/8, 127.0.0.1/32")
    assert check_destination("http://10.1.2.3:8080/hook", allowed, PUBLIC).address == "10.1.2.3"
    assert check_destination("http://mixed.example.com/", allowed, PUBLIC).address == "93.184.216.34"
    with pytest.raises(DestinationRefused):
        check_destination("http://169.254.169.254/", allowed, PUBLIC)


@pytest.mark.parametrize("host", ["localhost", "2130706433", "127.1", "0x7f000001"])
def test_names_and_spellings_of_loopback_are_resolved_and_refused(host):
    """The system resolver's own reading (decimal and short forms are 127.0.0.1 too)."""
    with pytest.raises(DestinationRefused):
        check_destination(f"http://{host}:8080/", ())
