"""LiveEditor: the first change renders at once, later ones fold into one render per window."""

from __future__ import annotations

import asyncio

from bot.live import LiveEditor


async def test_changes_within_the_window_fold_into_one_render_of_the_latest_state() -> None:
    editor = LiveEditor(interval=0.2)
    state = {"value": 0}
    rendered: list[int] = []

    async def render() -> None:
        rendered.append(state["value"])

    for value in range(1, 6):
        state["value"] = value
        editor.touch("poll:1", render)
        await asyncio.sleep(0)
    await asyncio.sleep(0.05)
    assert rendered == [1]
    await editor.flush()
    assert rendered == [1, 5]


async def test_keys_are_independent_and_a_failing_render_does_not_stop_later_ones() -> None:
    editor = LiveEditor(interval=0.0)
    calls: list[str] = []

    async def broken() -> None:
        calls.append("broken")
        raise RuntimeError("message to edit not found")

    async def fine() -> None:
        calls.append("fine")

    editor.touch("a", broken)
    editor.touch("b", fine)
    await editor.flush()
    editor.touch("a", fine)
    await editor.flush()
    assert sorted(calls) == ["broken", "fine", "fine"]


async def test_immediate_flush_renders_pending_changes_without_waiting() -> None:
    editor = LiveEditor(interval=30.0)
    rendered: list[str] = []

    async def render() -> None:
        rendered.append("x")

    editor.touch("k", render)
    await asyncio.sleep(0)
    editor.touch("k", render)  # inside the 30 s window: would wait
    await asyncio.wait_for(editor.flush(immediate=True), timeout=2)
    assert rendered == ["x", "x"]
