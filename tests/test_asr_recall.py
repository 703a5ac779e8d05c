"""The second decode with recalled sentences: when it is kept, when it is refused, what it
flags, and how the live recogniser revises each final with it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reporting.asr import FakeTranscriber, build_pipeline
from reporting.asr.fake import transcript_from_text
from reporting.asr.phrases import Phrasebook
from reporting.asr.recall import DISPUTED_PROBABILITY, RecallingTranscriber, consistent
from reporting.audio import (
    ArraySource,
    Final,
    LiveRecognizer,
    Revision,
    UtteranceSegmenter,
    load_audio,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "audio"

SPEECH = (0.3 * np.sin(np.linspace(0, 2000, 32000))).astype(np.float32)  # 2 s, not silence


def _recall(heard: str, prompt: str | None) -> str | None:
    return f"{prompt or ''} recalled for: {heard}"


def test_the_second_decode_gets_the_recalled_prompt_and_its_text_is_kept() -> None:
    first = FakeTranscriber(["The left base opacities could be aeronometric tossing."])
    full = FakeTranscriber(["The left base opacities could be areas of atelectasis."])
    recalling = RecallingTranscriber(full, _recall, first=first)
    got = recalling.transcribe(SPEECH, prompt="BASE")
    assert got.text == "The left base opacities could be areas of atelectasis."
    assert got.info["recalled"] is True
    assert first.calls == [(SPEECH.size, "BASE")]
    assert full.calls == [
        (SPEECH.size, "BASE recalled for: The left base opacities could be aeronometric tossing.")
    ]


def test_a_second_decode_that_writes_out_a_recalled_sentence_is_refused() -> None:
    first = FakeTranscriber(["The lungs are clear, without consolidation or effusion."])
    full = FakeTranscriber(
        [
            # a recalled sentence copied in although it was not said
            "The lungs are clear. The heart is normal in size and the mediastinum is "
            "unremarkable, without consolidation or effusion.",
            "The lungs are clear, without consolidation or effusion.",
        ]
    )
    got = RecallingTranscriber(full, _recall, first=first).transcribe(SPEECH, prompt="BASE")
    assert got.text == "The lungs are clear, without consolidation or effusion."
    # the quick first decode is not final text: the refused utterance is decoded again plainly
    assert [prompt for _, prompt in full.calls][1] == "BASE"


def test_the_second_decode_skips_the_skipped_start_check_so_a_skip_is_refused() -> None:
    # the real engine puts back words a prompted decode skipped; recall's second decode is
    # made without that check, so its skip is refused and the plain prompt decodes again
    class Full(FakeTranscriber):
        def for_recall(self) -> FakeTranscriber:
            return recaller

    recaller = FakeTranscriber(["heart size is normal."])  # skipped "No acute disease."
    full = Full(["No acute disease. The heart size is normal."])
    first = FakeTranscriber(["No acute disease. The heart size is normal."])
    got = RecallingTranscriber(full, _recall, first=first).transcribe(SPEECH, prompt="BASE")
    assert got.text == "No acute disease. The heart size is normal."
    assert [p for _, p in recaller.calls] == [
        "BASE recalled for: No acute disease. The heart size is normal."
    ]
    assert [p for _, p in full.calls] == ["BASE"]


def test_nothing_recalled_means_one_plain_full_decode() -> None:
    first = FakeTranscriber(["quick text"])
    full = FakeTranscriber(["full text"])
    got = RecallingTranscriber(full, lambda heard, prompt: None, first=first).transcribe(
        SPEECH, prompt="BASE"
    )
    assert got.text == "full text"
    assert full.calls == [(SPEECH.size, "BASE")]


def test_silence_is_not_decoded_twice() -> None:
    first, full = FakeTranscriber(["never used"]), FakeTranscriber(["never used"])
    got = RecallingTranscriber(full, _recall, first=first).transcribe(np.zeros(16000, np.float32))
    assert got.is_empty
    assert full.calls == []


def test_a_side_the_decodes_disagree_on_is_flagged() -> None:
    pipeline = build_pipeline(phrases=Phrasebook(("Right IJ catheter tip in the SVC.",)))
    first = FakeTranscriber(["Ride a catheter tip in the proximal ride atrium."])
    full = FakeTranscriber(["Right IJ catheter tip in the proximal right atrium."])
    recalling = RecallingTranscriber.for_pipeline(full, pipeline, first=first)
    got = recalling.transcribe(SPEECH, prompt="BASE")
    assert "Right IJ catheter tip in the SVC" in full.calls[0][1]
    sides = [w for w in got.words if w.word.strip(".").lower() == "right"]
    assert len(sides) == 2
    assert all(w.probability <= DISPUTED_PROBABILITY for w in sides)
    assert all(w.probability == pytest.approx(0.98) for w in got.words if w not in sides)
    assert got.segments[0].words == got.words
    processed = pipeline.process(got.text, got.words)
    assert [f.reason for f in processed.flags] == ["side", "side"]
    # without knowing that "ride" may be a mis-heard side, the new sides are refused
    first = FakeTranscriber(["Ride a catheter tip in the proximal ride atrium."])
    full = FakeTranscriber(["Right IJ catheter tip in the proximal right atrium.", "plain"])
    assert RecallingTranscriber(full, _recall, first=first).transcribe(SPEECH).text == "plain"


def test_a_side_or_negation_the_second_decode_drops_is_refused() -> None:
    assert consistent("small left pleural effusion", "small left pleural effusions")
    assert not consistent("small left pleural effusion", "small pleural effusion")
    assert not consistent("no pneumothorax", "pneumothorax")
    assert not consistent("", "anything")
    # a stretch may change a side or a negation but not lose one, even when another kept
    # word stands in its place
    assert not consistent(
        "effusions, left greater than right.", "effusions, bilateral pleural effusion seen."
    )
    assert not consistent("no left pleural effusion", "without pleural effusion")
    assert consistent("no left pleural effusion", "no right pleural effusion")
    assert consistent("small left effusion", "small bilateral effusion")


def test_a_second_decode_that_skips_the_first_words_said_is_refused() -> None:
    # a prompted decode may take the utterance's first words for the prompt's continuation:
    # here the section and field names, so the text would go where the cursor was
    first = "Findings. Hemorrhage, acute right sub-yellow hematoma, midline shift 6 mm."
    assert not consistent(first, "Acute right subdural hematoma. Midline shift 6 mm.")
    # one word at the start may go ("And" heard before the speech), as may two inside
    assert consistent("And the lungs are clear.", "The lungs are clear.")
    assert consistent("The heart is normal in size.", "The heart is normal.")
    # the whole path: refused, the utterance is decoded again with the plain prompt
    first_t = FakeTranscriber([first])
    full = FakeTranscriber(["Acute right subdural hematoma. Midline shift 6 mm.", "plain"])
    assert RecallingTranscriber(full, _recall, first=first_t).transcribe(SPEECH).text == "plain"


_WORD = st.sampled_from(
    ["the", "lungs", "are", "clear", "no", "effusion", "heart", "size", "normal", "mild"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_WORD, min_size=1, max_size=30), st.lists(_WORD, min_size=4, max_size=12))
def test_consistency_of_the_same_words_and_of_inserted_runs(
    said: list[str], inserted: list[str]
) -> None:
    text = " ".join(said)
    assert consistent(text, text.upper() + ".")
    cut = len(said) // 2
    padded = " ".join(said[:cut] + ["zzz"] + inserted + ["zzz"] + said[cut:])
    assert not consistent(text, padded)


def test_the_live_recogniser_revises_every_final_with_the_reviser() -> None:
    class Reviser:
        def __init__(self) -> None:
            self.seen: list[tuple[str, str | None, bool]] = []

        def reconsider(self, audio, final, *, prompt=None, whole=True):  # type: ignore[no-untyped-def]
            self.seen.append((final.text, prompt, whole))
            if len(self.seen) % 2:
                return final  # nothing better: no revision
            return transcript_from_text(f"revised {len(self.seen)}.", duration=audio.size / 16000)

    audio = load_audio(EXAMPLES / "cxr_dictation.flac")
    engine = FakeTranscriber(respond=lambda a: f"{a.size / 16000:.2f} s.")
    reviser = Reviser()
    live = LiveRecognizer(engine, segmenter=UtteranceSegmenter(), prompt="BASE", partials=False,
                          reviser=reviser)  # fmt: skip
    events = list(live.run(ArraySource(audio).blocks()))
    finals = [e for e in events if isinstance(e, Final)]
    revisions = [e for e in events if isinstance(e, Revision)]
    assert len(finals) >= 3
    # every final is reconsidered once, with the base prompt; "whole" says whether the final
    # was one decode of the whole utterance (else the reviser decodes it whole itself)
    assert reviser.seen == [
        (f.transcript.text, "BASE", f.transcript.info.get("pieces", 1) == 1) for f in finals
    ]
    assert any(not whole for _, _, whole in reviser.seen)
    # only changed text comes back, as a revision of its own utterance, after its final and
    # before the next one
    assert [r.transcript.text for r in revisions] == [
        f"revised {i}." for i in range(2, len(finals) + 1, 2)
    ]
    for revision in revisions:
        index = revision.utterance.index
        final = next(f for f in finals if f.utterance.index == index)
        assert revision.replaces is final.transcript
        later = [f for f in finals if f.utterance.index > index]
        assert events.index(final) < events.index(revision)
        assert not later or events.index(revision) < events.index(later[0])


def test_recall_never_invents_a_side_or_a_negation() -> None:
    like_side = build_pipeline(phrases=Phrasebook()).vocabulary.confidence.sounds_like_side
    # "pleural effusion" heard, "the left fusion" written: a side out of nothing
    assert not consistent(
        "without airspace opacity, pleural effusion or pneumothorax",
        "without airspace opacity. The left fusion or pneumothorax",
        like_side=like_side,
    )
    # a mis-heard side restored is fine (and flagged, see above)
    assert consistent("write a catheter tip", "right IJ catheter tip", like_side=like_side)
    assert consistent("bright greater than left", "right greater than left", like_side=like_side)
    # a negation where nothing was heard
    assert not consistent("pleural effusion is seen", "no pleural effusion is seen")
    assert consistent("now pleural effusion is seen", "no pleural effusion is seen")


def test_a_quick_decode_that_its_guards_emptied_gets_a_full_decode() -> None:
    first = FakeTranscriber([""])  # speech heard, but the quick decode's guards dropped it
    full = FakeTranscriber(["Cannot exclude small pleural effusions."])
    got = RecallingTranscriber(full, _recall, first=first).transcribe(SPEECH, prompt="BASE")
    assert got.text == "Cannot exclude small pleural effusions."
    assert full.calls == [(SPEECH.size, "BASE")]


def test_a_merged_side_word_is_a_doubtful_side() -> None:
    policy = build_pipeline(phrases=Phrasebook()).vocabulary.confidence
    assert policy.sounds_like_side("dysright") and policy.sounds_like_side("ofleft")
    assert not any(policy.sounds_like_side(w) for w in ("upright", "outright", "cleft"))


def test_a_second_decode_that_drops_a_clause_is_refused() -> None:
    said = "Hyperexpanded lungs with flattening of the hemidiaphragms, consistent with emphysema."
    assert not consistent(said, "Hyperexpanded lungs with flattening of the hemidiaphragms.")
    assert consistent(said, "Hyperexpanded lungs with flattening of hemidiaphragms, emphysema.")


def test_a_term_nothing_heard_sounds_like_is_flagged_but_a_corrected_one_is_not() -> None:
    pipeline = build_pipeline(phrases=Phrasebook(("No pleural effusion or pneumothorax.",)))

    def decode(heard: str, written: str) -> list[str]:
        first, full = FakeTranscriber([heard]), FakeTranscriber([written])
        recalling = RecallingTranscriber.for_pipeline(full, pipeline, first=first)
        got = recalling.transcribe(SPEECH, prompt="BASE")
        assert got.text == written  # kept: only flagged
        return [got.text[f.start : f.end] for f in pipeline.process(got.text, got.words).flags]

    # "effusion" was copied from the recalled sentence: the first decode heard "line of"
    assert decode("No pleural line of pneumothorax.", "No pleural effusion or pneumothorax.") == [
        "effusion"
    ]
    # a term the first decode heard something like is a correction, not a copy
    assert decode("Mild cardiomidly.", "Mild cardiomegaly.") == []
    assert decode("No plural effusion.", "No pleural effusion.") == []
    # ordinary words the second decode changed are not terms
    assert decode("The lungs are clear.", "The lungs look clear.") == []
