"""Issue 11 item 6: the stored active configuration wins over ``--config`` on restart; the file
seeds a new store and replaces the stored version only when imported explicitly (audited)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from smartpdu.app import build_demo_runtime
from smartpdu.app.factory import demo_config_path
from smartpdu.app.server import ServeOptions, Started, serve
from smartpdu.config import dump_config, load_config
from smartpdu.storage import open_store


async def test_a_config_change_survives_a_restart_with_the_same_file(tmp_path: Path) -> None:
    rt = build_demo_runtime(tmp_path)
    async with rt:
        text = dump_config(rt.config).replace("name: demo-rack", "name: renamed-rack", 1)
        assert await rt.apply_config(text, "alice", "rename") == 2
    rt.store.close()
    again = build_demo_runtime(tmp_path)  # the same demo file as --config
    async with again:
        assert again.config.rack.name == "renamed-rack"
        versions = again.store.list_config_versions()
        assert [v.version for v in versions] == [1, 2]  # nothing new recorded by the restart
    again.store.close()


async def test_a_fresh_store_is_seeded_from_the_file(tmp_path: Path) -> None:
    rt = build_demo_runtime(tmp_path)
    async with rt:
        stored = rt.store.get_config_version()
        assert stored is not None and stored.version == 1
        assert stored.yaml_text == dump_config(load_config(demo_config_path()))
    rt.store.close()


def test_import_config_applies_the_file_as_an_audited_version(tmp_path: Path) -> None:
    rt = build_demo_runtime(tmp_path)

    async def first_run() -> None:
        async with rt:
            text = dump_config(rt.config).replace("name: demo-rack", "name: renamed-rack", 1)
            await rt.apply_config(text, "alice", "rename")

    asyncio.run(first_run())
    rt.store.close()
    seen: list[str] = []

    def announce(started: Started) -> None:  # once serving: stop at once, the import is done
        seen.append(started.url)
        import os
        import signal

        os.kill(os.getpid(), signal.SIGINT)

    options = ServeOptions(
        config=load_config(demo_config_path()),
        data_dir=tmp_path,
        admin_password="an-admin-password-1",
        import_config=True,
    )
    asyncio.run(serve(options, announce))
    assert seen
    store = open_store(f"sqlite:///{tmp_path / 'smartpdu.db'}")
    try:
        latest = store.get_config_version()
        assert latest is not None and latest.version == 3
        assert "name: demo-rack" in latest.yaml_text
        imported = [
            e for e in store.events_since("pdu-a", 0, 1000) if e.event_code == "CONFIG_CHANGED"
        ]
        assert imported[-1].evidence["version"] == 3 and imported[-1].actor == "system"
    finally:
        store.close()
