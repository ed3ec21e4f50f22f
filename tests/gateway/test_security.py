"""The small parts of the gateway's security, with an injected clock."""

import ipaddress

from gateway.proxy import clean_request_headers, is_public
from gateway.security import (
    IdentitySigner,
    RateLimiter,
    TtlCache,
    api_key_prefix,
    client_address,
    generate_api_key,
    hash_api_key,
)
from shared.identity import Identity, verify_identity


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TestApiKeyFormat:
    def test_prefix_is_identifiable(self):
        prefix, key = generate_api_key()
        assert key.startswith(f"ew_{prefix}_")
        assert api_key_prefix(key) == prefix

    def test_keys_differ_and_hash_hides_them(self):
        keys = {generate_api_key()[1] for _ in range(50)}
        assert len(keys) == 50
        key = keys.pop()
        assert len(hash_api_key(key)) == 64
        assert key.split("_", 2)[2] not in hash_api_key(key)

    def test_malformed_has_no_prefix(self):
        for token in ("ew_ABCDEFGH_" + "a" * 43, "ew_abc_" + "a" * 43, "ew_abcdefgh_x", "x"):
            assert api_key_prefix(token) is None


class TestRateLimiter:
    def test_burst_then_refill(self):
        clock = Clock()
        limiter = RateLimiter(rate=2.0, burst=3, clock=clock)
        assert [limiter.acquire("k") for _ in range(3)] == [None, None, None]
        assert limiter.acquire("k") == 1
        clock.now += 0.5  # one token back at 2 per second
        assert limiter.acquire("k") is None
        assert limiter.acquire("k") == 1

    def test_retry_after_counts_whole_seconds(self):
        clock = Clock()
        limiter = RateLimiter(rate=0.1, burst=1, clock=clock)
        assert limiter.acquire("k") is None
        assert limiter.acquire("k") == 10

    def test_keys_are_independent(self):
        limiter = RateLimiter(rate=1.0, burst=1, clock=Clock())
        assert limiter.acquire("a") is None
        assert limiter.acquire("a") == 1
        assert limiter.acquire("b") is None

    def test_memory_is_bounded(self):
        clock = Clock()
        limiter = RateLimiter(rate=1.0, burst=1, max_keys=10, clock=clock)
        for i in range(100):
            limiter.acquire(f"k{i}")
            clock.now += 0.1
        assert len(limiter._buckets) <= 10


class TestTtlCache:
    def test_expires(self):
        clock = Clock()
        cache = TtlCache(5.0, clock=clock)
        cache.put("h", "value", tag="key-1")
        assert cache.get("h") == "value"
        clock.now += 5.1
        assert cache.get("h") is None

    def test_forget_by_tag(self):
        cache = TtlCache(5.0, clock=Clock())
        cache.put("h1", 1, tag="key-1")
        cache.put("h2", 2, tag="key-2")
        cache.forget("key-1")
        assert (cache.get("h1"), cache.get("h2")) == (None, 2)

    def test_zero_ttl_remembers_nothing(self):
        cache = TtlCache(0, clock=Clock())
        cache.put("h", 1, tag="t")
        assert cache.get("h") is None


class TestIdentitySigner:
    def test_reuses_a_signature_for_half_its_life(self):
        clock = Clock()
        signer = IdentitySigner("s" * 40, ttl_seconds=60, clock=clock)
        identity = Identity(principal_id="p", kind="api_key", role="store", subject_id="s1")
        first = signer.header(identity)
        clock.now += 29
        assert signer.header(identity) == first
        clock.now += 2
        assert verify_identity(signer.header(identity), "s" * 40) == identity


class TestHeaderCleaning:
    def test_identity_and_hop_by_hop_headers_are_dropped(self):
        raw = [
            (b"x-ew-identity", b"forged"),
            (b"X-User-Id", b"1"),
            (b"x-roles", b"admin"),
            (b"x-forwarded-user", b"a"),
            (b"x-remote-user", b"a"),
            (b"connection", b"x-keep"),
            (b"x-keep", b"1"),
            (b"transfer-encoding", b"chunked"),
            (b"authorization", b"k"),
            (b"host", b"gw"),
            (b"content-type", b"application/json"),
            (b"idempotency-key", b"abc"),
            (b"accept", b"*/*"),
        ]
        assert clean_request_headers(raw) == [
            ("content-type", "application/json"),
            ("idempotency-key", "abc"),
            ("accept", "*/*"),
        ]


class TestPublicRoutes:
    def test_only_reading_the_job_board_is_public(self):
        assert is_public("GET", "/v1/jobs/postings")
        assert is_public("GET", "/v1/jobs/postings/123")
        assert not is_public("POST", "/v1/jobs/postings")
        assert not is_public("GET", "/v1/jobs/postings/123/applications")
        assert not is_public("GET", "/v1/jobs/postingsx")
        assert not is_public("GET", "/v1/products/postings")


class TestClientAddress:
    proxies = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1/128"))

    def test_without_trusted_proxies_the_peer_is_the_client(self):
        assert client_address("127.0.0.1", ["6.6.6.6"], ()) == "127.0.0.1"

    def test_an_untrusted_peer_is_the_client_whatever_it_claims(self):
        assert client_address("203.0.113.9", ["6.6.6.6"], self.proxies) == "203.0.113.9"

    def test_a_trusted_proxy_names_the_client(self):
        assert client_address("10.0.0.5", ["203.0.113.9"], self.proxies) == "203.0.113.9"

    def test_the_right_most_untrusted_hop_wins_over_what_the_client_prepended(self):
        # The client sent "X-Forwarded-For: 6.6.6.6"; the proxy appended what it saw.
        assert client_address("10.0.0.5", ["6.6.6.6, 203.0.113.9"], self.proxies) == "203.0.113.9"
        # Two proxies in a row: both skipped; several header lines read as one list.
        hops = ["6.6.6.6", "203.0.113.9, 10.1.1.1"]
        assert client_address("10.0.0.5", hops, self.proxies) == "203.0.113.9"

    def test_a_hop_that_is_not_an_address_stops_the_walk(self):
        assert client_address("10.0.0.5", ["203.0.113.9, junk"], self.proxies) == "10.0.0.5"
        assert client_address("10.0.0.5", [""], self.proxies) == "10.0.0.5"

    def test_ports_and_ipv6(self):
        assert client_address("::1", ["203.0.113.9:4711"], self.proxies) == "203.0.113.9"
        assert client_address("::1", ["[2001:db8::7]:443"], self.proxies) == "2001:db8::7"
        assert client_address("10.0.0.5", ["2001:db8::7"], self.proxies) == "2001:db8::7"

    def test_only_proxies_in_the_chain_gives_the_left_most(self):
        assert client_address("10.0.0.5", ["10.2.2.2, 10.1.1.1"], self.proxies) == "10.2.2.2"
