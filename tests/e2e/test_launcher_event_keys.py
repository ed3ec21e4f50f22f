"""The event-signing keys `make run` generates: kept across restarts with the run's other
secrets (owner-only), each service given only its own private key and every public key."""

import json
import stat

from deploy.event_keys import signing_environment
from deploy.secrets import load_or_create_secrets
from shared.events.signing import EventSigner, EventVerifier
from shared.settings import ServiceSettings


def test_generated_once_kept_private_and_other_secrets_untouched(tmp_path):
    (tmp_path / "secrets.json").write_text(json.dumps({"other_secret": "kept"}))
    first = load_or_create_secrets(tmp_path)
    again = load_or_create_secrets(tmp_path)
    assert first == again
    assert first["other_secret"] == "kept"
    assert {k for k in first if k.startswith("event_signing_key_")} == {
        "event_signing_key_jobs",
        "event_signing_key_products",
        "event_signing_key_subsidies",
    }
    assert stat.S_IMODE((tmp_path / "secrets.json").stat().st_mode) == 0o600


def test_each_service_gets_its_own_private_key_and_every_public_key(tmp_path):
    secrets = load_or_create_secrets(tmp_path)
    assert signing_environment(secrets, "nats") == {}
    # The gateway publishes nothing: no private key, only the public ones (its live feed
    # verifies what it shows).
    gateway = signing_environment(secrets, "gateway")
    assert list(gateway) == ["EW_EVENT_PUBLIC_KEYS"]
    assert not any(
        secrets[f"event_signing_key_{s}"] in gateway["EW_EVENT_PUBLIC_KEYS"]
        for s in ("jobs", "products", "subsidies")
    )
    envs = {s: signing_environment(secrets, s) for s in ("jobs", "products", "subsidies")}
    for service, env in envs.items():
        others = [secrets[f"event_signing_key_{s}"] for s in envs if s != service]
        assert env["EW_EVENT_SIGNING_KEY"] == secrets[f"event_signing_key_{service}"]
        assert not any(private in env["EW_EVENT_PUBLIC_KEYS"] for private in others)
        settings = ServiceSettings.model_validate(
            {
                "env": "production",
                "service_name": service,
                "identity_secret": "x" * 40,
                "pii_key": "y" * 40,
                "event_signing_key": env["EW_EVENT_SIGNING_KEY"],
                "event_public_keys": json.loads(env["EW_EVENT_PUBLIC_KEYS"]),
            }
        )
        settings.check_event_keys(["jobs", "products", "subsidies"])
    jobs_signature = EventSigner(envs["jobs"]["EW_EVENT_SIGNING_KEY"]).sign(b"{}")
    subsidies_keys = EventVerifier(json.loads(envs["subsidies"]["EW_EVENT_PUBLIC_KEYS"]))
    assert subsidies_keys.problem("jobs", b"{}", jobs_signature) is None
    assert subsidies_keys.problem("products", b"{}", jobs_signature) is not None
