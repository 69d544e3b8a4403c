"""Web Push end to end without a browser vendor's push service: a local push service receives what the channel
sends, checks the VAPID signature (RFC 8292) and decrypts the payload with the subscriber's keys (RFC 8291)
exactly as a browser would; a subscription the service reports gone (410) is dropped.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from typing import Any

import aiohttp
import http_ece
from aiohttp import web
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from alerts.config import WebPushConfig
from alerts.delivery.webpush import PushSubscription, PushSubscriptions, WebPushChannel, generate_vapid_keys
from alerts.lifecycle import LifecycleStore
from alerts.models import AlertPhase, Severity
from alerts.service import AlertService
from streams.config import load_config
from streams.runtime import make_store
from tests.alert_builders import alert_event


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Browser:
    """The subscriber's side: its ECDH key pair and auth secret, as PushManager.subscribe() makes them."""

    def __init__(self, endpoint: str) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.subscription = PushSubscription(
            endpoint=endpoint, keys={"p256dh": b64url(public), "auth": b64url(self.auth)}
        )  # type: ignore[arg-type]

    def decrypt(self, body: bytes) -> dict[str, Any]:
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))


def verify_vapid(header: str, audience: str) -> dict[str, Any]:
    """Authorization: vapid t=<JWT>, k=<public key>: the ES256 signature must verify with k."""
    parts = dict(p.strip().split("=", 1) for p in header.removeprefix("vapid ").split(","))
    head, claims, signature = parts["t"].split(".")
    raw = unb64url(signature)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(parts["k"]))
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged
    decoded = json.loads(unb64url(claims))
    assert decoded["aud"] == audience
    return {**decoded, "k": parts["k"]}


async def scenario(config: Any) -> dict[str, Any]:
    received: list[tuple[str, dict[str, str], bytes]] = []

    async def push_service(request: web.Request) -> web.Response:
        received.append((request.match_info["sub"], dict(request.headers), await request.read()))
        return web.Response(status=410 if request.match_info["sub"] == "gone" else 201)

    app = web.Application()
    app.router.add_post("/push/{sub}", push_service)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    origin = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    private, public = generate_vapid_keys()
    webpush = WebPushConfig(vapid_private_key=private, vapid_public_key=public, subject="mailto:ops@example.org")  # type: ignore[arg-type]
    store = make_store(config)
    subscriptions = PushSubscriptions(store.redis, store.prefix)
    phone, stale = Browser(origin + "/push/phone"), Browser(origin + "/push/gone")
    await subscriptions.add(phone.subscription)
    await subscriptions.add(stale.subscription)
    guard = Browser(origin + "/push/guard")  # the guard's phone, subscribed while logged in as guard1
    await subscriptions.add(guard.subscription.model_copy(update={"username": "guard1"}))
    channel = WebPushChannel(webpush, subscriptions, "https://console.example.org")
    service = AlertService(store, [channel], lifecycle=LifecycleStore(store.redis, 3600, store.prefix))
    try:
        start = alert_event("webpush-alert-1", AlertPhase.START, Severity.YELLOW)
        await service.handle(start)
        await service.handle(alert_event("webpush-alert-1", AlertPhase.UPDATE, Severity.YELLOW, ts=start.ts + 5))
        await service.handle(alert_event("webpush-alert-1", AlertPhase.UPDATE, Severity.RED, ts=start.ts + 9))
        dispatched = await channel.send_to(start, "guard1")  # what the console does on a dispatch to guard1
        nobody = await channel.send_to(start, "patrol9")
        left = await subscriptions.all()
        log = await store.delivery_log("webpush-alert-1")
    finally:
        await service.close()
        await store.redis.aclose()
        await runner.cleanup()
    return {
        "received": received,
        "origin": origin,
        "public": public,
        "phone": phone,
        "guard": guard,
        "dispatched": (dispatched, nobody),
        "left": left,
        "log": log,
    }


def test_webpush_is_signed_encrypted_and_drops_gone_subscriptions(make_site: Any) -> None:
    out = asyncio.run(scenario(load_config(make_site().path)))
    to_phone = [(headers, body) for sub, headers, body in out["received"] if sub == "phone"]
    assert len(to_phone) == 2, "the start and the rise to red; not the yellow update"
    first_headers, first_body = to_phone[0]
    headers = {k.lower(): v for k, v in first_headers.items()}
    assert headers["content-encoding"] == "aes128gcm" and int(headers["ttl"]) == 3600
    claims = verify_vapid(headers["authorization"], out["origin"])
    assert claims["sub"] == "mailto:ops@example.org" and claims["k"] == out["public"]
    payloads = [out["phone"].decrypt(body) for _, body in to_phone]
    assert [p["severity"] for p in payloads] == ["yellow", "red"]
    assert payloads[0]["url"] == "https://console.example.org/alerts/webpush-alert-1"
    assert payloads[0]["image"].endswith("/api/alerts/webpush-alert-1/snapshot") and payloads[0]["body"]
    assert {s.endpoint for s in out["left"]} == {out["origin"] + "/push/phone", out["origin"] + "/push/guard"}, (
        "the 410 subscription is dropped"
    )
    to_guard = [out["guard"].decrypt(body) for sub, _, body in out["received"] if sub == "guard"]
    assert out["dispatched"] == (1, 0), "a dispatch reaches only the responder's own phones"
    assert to_guard[-1]["title"].startswith("Dispatched to you: ") and to_guard[-1]["clip"].endswith("/clip")
    assert not any(p["title"].startswith("Dispatched") for p in payloads), "nobody else gets the dispatch"
    assert all(entry["status"] == "delivered" for entry in out["log"])


def test_console_registers_a_subscription(make_site: Any) -> None:
    from alerts.config import AccountConfig, ConsoleConfig
    from alerts.console.app import Console
    from alerts.console.auth import ConsoleAuth, hash_password

    config = load_config(make_site().path)

    async def run() -> tuple[int, int, list[PushSubscription]]:
        store = make_store(config)
        account = AccountConfig(username="o1", role="officer", password_hash=hash_password("pw"))  # type: ignore[arg-type]
        auth = ConsoleAuth(store.redis, ConsoleConfig(accounts=(account,)), store.prefix)
        console = Console(store, LifecycleStore(store.redis, 3600, store.prefix), auth, generate_vapid_keys()[1])
        port = await console.start("127.0.0.1", 0)
        base = f"http://127.0.0.1:{port}"
        try:
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
                async with http.post(base + "/api/login", json={"username": "o1", "password": "pw"}) as reply:
                    csrf = {"X-CSRF-Token": (await reply.json())["csrf"]}
                body = Browser("https://push.example.net/sub/1").subscription.model_dump(exclude={"username"})
                async with http.post(base + "/api/push/subscriptions", json={"bogus": 1}, headers=csrf) as bad:
                    bad_status = bad.status
                async with http.post(base + "/api/push/subscriptions", json=body, headers=csrf) as good:
                    good_status = good.status
            return bad_status, good_status, await PushSubscriptions(store.redis, store.prefix).all()
        finally:
            await console.stop()
            await store.redis.aclose()

    bad, good, saved = asyncio.run(run())
    assert (bad, good) == (400, 201)
    assert [(s.endpoint, s.username) for s in saved] == [("https://push.example.net/sub/1", "o1")]
