"""How quickly the TUI responds: start-up, opening a study, dictation to text, QA turnaround.

Runs the real app headless (Textual Pilot) on the bundled worklist and dictates
examples/audio/cxr_dictation.flac through the real audio stack (file source, level meter,
Silero VAD) with the scripted transcriber, so the figures are the UI's own cost, not Whisper's.

    .venv/bin/python benchmarks/tui_latency.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from textual._time import get_time  # noqa: E402

from reporting.asr import FakeTranscriber  # noqa: E402
from reporting.tui.app import create_app  # noqa: E402
from reporting.tui.messages import Heard  # noqa: E402
from reporting.tui.options import TuiOptions  # noqa: E402
from reporting.tui.screens.report import ReportScreen  # noqa: E402
from reporting.tui.screens.worklist import WorklistScreen  # noqa: E402

RECORDING = REPO / "examples" / "audio" / "cxr_dictation.flac"
#: what a radiologist notices: targets, not measurements of an earlier run
TARGETS = {
    "worklist shown (s)": 2.0,
    "study opened (s)": 1.0,
    "utterance -> editor, median (ms)": 100.0,
    "edit -> QA shown, median (s)": 1.5,
}


async def wait(pilot, condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there in time")
        await pilot.pause(0.01)


async def measure(tmp: Path) -> dict[str, float]:
    script = RECORDING.with_suffix(".txt").read_text().splitlines()
    options = TuiOptions(
        worklist=REPO / "examples" / "worklist.json", data_dir=tmp / "data", outbox=tmp / "out",
        user="Bench^Mark", transcriber=FakeTranscriber(script), audio_file=RECORDING,
        audio_realtime=False,
    )  # fmt: skip
    applied: list[float] = []
    heard: list[float] = []
    app = create_app(options)
    original = ReportScreen.set_draft

    seen: set[int] = set()

    def hook(message: object) -> None:  # called again as the message bubbles: count it once
        if (
            isinstance(message, Heard)
            and str(message.transcript.text).strip()
            and id(message) not in seen
        ):
            seen.add(id(message))
            heard.append(message.time)  # when the recogniser posted it

    def timed(screen: ReportScreen, report: object, *, sync: bool = False) -> None:
        original(screen, report, sync=sync)  # type: ignore[arg-type]
        if sync and heard:  # a dictated change, now shown in the editor
            applied.append(get_time() - heard.pop(0))

    ReportScreen.set_draft = timed  # type: ignore[method-assign]

    out: dict[str, float] = {}
    started = time.perf_counter()
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await wait(pilot, lambda: isinstance(app.screen, WorklistScreen) and app.screen.shown)
        out["worklist shown (s)"] = time.perf_counter() - started
        # the radiologist reads the worklist while the engines warm up in the background
        await wait(
            pilot, lambda: not any(w.group == "warm-up" and w.is_running for w in app.workers)
        )
        t0 = time.perf_counter()
        await pilot.press("enter")
        await wait(
            pilot, lambda: isinstance(app.screen, ReportScreen) and app.screen.draft is not None
        )
        screen = app.screen
        assert isinstance(screen, ReportScreen)
        out["study opened (s)"] = time.perf_counter() - t0
        await wait(pilot, lambda: screen.query_one("#mic").model == "ready")
        await wait(pilot, lambda: screen.qa_version == screen.version)
        await pilot.press("f5")
        await wait(pilot, lambda: screen.query_one("#mic").state == "finished")
        out["utterance -> editor, median (ms)"] = 1000 * statistics.median(applied)
        qa_times = []
        area = screen.query_one("#text-impression")
        for word in ("Stable.", "Unchanged.", "No change."):
            area.focus()
            t1 = time.perf_counter()
            area.replace(word, (0, 0), area.document.end)
            await wait(pilot, lambda w=word: screen.draft.section("impression").text == w)
            await wait(pilot, lambda: screen.qa_version == screen.version)
            qa_times.append(time.perf_counter() - t1)
        out["edit -> QA shown, median (s)"] = statistics.median(qa_times)
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(measure(Path(tmp)))
    print(f"{'measure':<36} {'target':>8} {'result':>8}")
    for name, value in result.items():
        print(f"{name:<36} {TARGETS[name]:>8.2f} {value:>8.2f}")
    print("(QA turnaround includes the 0.5 s debounce)")


if __name__ == "__main__":
    main()
