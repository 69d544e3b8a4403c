"""The watch list in real Redis: matching by any ref, tier order, expiry on event time, audit, and the CLI."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from alerts.access.watchlist import WatchEntry, WatchList
from streams.config import load_config
from streams.runtime import make_store

NOW = 1_795_000_000.0


def entry(kind: str, ref: str, tier: str, expires_at: float | None = None) -> WatchEntry:
    return WatchEntry.model_validate(
        {
            "kind": kind,
            "ref": ref,
            "label": f"{tier} {kind}",
            "tier": tier,
            "expires_at": expires_at,
            "added_by": "t",
            "added_at": NOW,
        }
    )


def test_lookup_prefers_red_and_honours_expiry(make_site: Any) -> None:
    config = load_config(make_site().path)

    async def run() -> dict[str, Any]:
        store = make_store(config)
        watch = WatchList(store.redis, store.prefix)
        try:
            await watch.add(entry("card", "card-ref-0001", "yellow"))
            await watch.add(entry("employee", "emp-ref-0001", "red", expires_at=NOW + 3600))
            both = (("employee", "emp-ref-0001"), ("card", "card-ref-0001"))
            found = {
                "both": await watch.lookup(both, at=NOW),
                "after expiry": await watch.lookup(both, at=NOW + 7200),
                "neither": await watch.lookup((("name", "nobody-ref-01"),), at=NOW),
            }
            found["removed"] = await watch.remove("card", "card-ref-0001", by="officer-7")
            found["removed twice"] = await watch.remove("card", "card-ref-0001", by="officer-7")
            found["entries"] = await watch.entries()
            found["audit"] = await watch.audit()
            return found
        finally:
            await store.redis.aclose()

    found = asyncio.run(run())
    assert found["both"].tier == "red"
    assert found["after expiry"].tier == "yellow"  # the red entry no longer matches events after it expired
    assert found["neither"] is None
    assert (found["removed"], found["removed twice"]) == (True, False)
    assert [e.kind for e in found["entries"]] == ["employee"]
    assert [(a["action"], a["by"]) for a in found["audit"]] == [("remove", "officer-7"), ("add", "t"), ("add", "t")]


def test_cli_stores_only_a_keyed_hash(make_site: Any) -> None:
    site = make_site(access={"pseudonym_key": "cli-key"})
    site.cli("watchlist", "add", "--card-no", "0099123", "--label", "Suspect B", "--tier", "yellow", "--by", "desk")
    listed = [json.loads(line) for line in site.cli("watchlist", "list", "--json").output.splitlines()]
    assert [(e["kind"], e["label"], e["tier"]) for e in listed] == [("card", "Suspect B", "yellow")]
    stored = b"".join(site.redis.get(k) or b"" for k in site.redis.scan_iter(match=site.key_prefix + "watch:card:*"))
    assert stored and b"0099123" not in stored
    site.cli("watchlist", "remove", "--card-no", "0099123", "--by", "desk")
    assert site.cli("watchlist", "list").output.strip() == ""
    site.cli("watchlist", "remove", "--card-no", "0099123", "--by", "desk", expect_exit=1)
    assert (
        "give exactly one"
        in site.cli("watchlist", "add", "--label", "x", "--tier", "red", "--by", "d", expect_exit=2).output
    )


def test_http_api_adds_lists_removes_with_admin_token_only(make_site: Any) -> None:
    import aiohttp
    from aiohttp import web

    from streams.access.vendor import pseudonym_key
    from streams.access.watchlist_api import WatchListApi

    config = load_config(make_site(access={"pseudonym_key": "api-key"}).path)

    async def run() -> dict[str, Any]:
        store = make_store(config)
        app = web.Application()
        WatchListApi(
            WatchList(store.redis, store.prefix), pseudonym_key(config.access, config.site_id), "adm"
        ).add_routes(app)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/api/watchlist"  # type: ignore[union-attr]
        admin = {"Authorization": "Bearer adm"}
        body = {"kind": "employee", "value": "E-7731", "label": "Suspect A", "tier": "red", "by": "desk"}
        out: dict[str, Any] = {}
        try:
            async with aiohttp.ClientSession() as http:
                out["no token"] = (await http.post(url, json=body)).status
                out["bad body"] = (await http.post(url, json={**body, "tier": "purple"}, headers=admin)).status
                added = await http.post(url, json=body, headers=admin)
                out["added"] = (added.status, await added.json())
                out["list"] = await (await http.get(url, headers=admin)).json()
                gone = {"kind": "employee", "value": "E-7731", "by": "desk"}
                out["removed"] = (await http.delete(url, json=gone, headers=admin)).status
                out["removed again"] = (await http.delete(url, json=gone, headers=admin)).status
                out["audit"] = await (await http.get(url + "/audit", headers=admin)).json()
        finally:
            await runner.cleanup()
            await store.redis.aclose()
        return out

    out = asyncio.run(run())
    assert (out["no token"], out["bad body"]) == (401, 400)
    status, entry = out["added"]
    assert status == 201 and entry["label"] == "Suspect A" and "E-7731" not in json.dumps(entry)
    assert [e["ref"] for e in out["list"]] == [entry["ref"]]
    assert (out["removed"], out["removed again"]) == (200, 404)
    assert [a["action"] for a in out["audit"]] == ["remove", "add"]
