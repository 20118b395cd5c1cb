"""The pieces of verification on their own: cutting a streamed reply into sentences, markers, the support check."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answer.verify import SentenceSplitter, Verifier, markers, sentences

REPLY = (
    "Self-compassion means treating ourselves kindly [1]. It helps, e.g. after a failure, to recover faster. [2]\n"
    "- Studies found a 3.5 point drop in stress [1][3]\n\n"
    "Be patient with yourself! [2]"
)
EXPECTED = [
    "Self-compassion means treating ourselves kindly [1].",
    "It helps, e.g. after a failure, to recover faster. [2]",
    "- Studies found a 3.5 point drop in stress [1][3]",
    "Be patient with yourself! [2]",
]


@pytest.mark.parametrize("size", [1, 2, 5, 17, len(REPLY)])
def test_a_reply_streamed_in_any_pieces_is_cut_into_the_same_sentences(size):
    splitter = SentenceSplitter()
    found = []
    for start in range(0, len(REPLY), size):
        found += splitter.feed(REPLY[start : start + size])
    assert [*found, *splitter.close()] == EXPECTED == sentences(REPLY)


def test_a_sentence_is_released_only_once_the_next_one_has_begun():
    splitter = SentenceSplitter()
    assert splitter.feed("Rest is part of the work.") == []
    assert splitter.feed(" [1]") == []  # its marker may still be coming
    assert splitter.feed(" Kindness") == ["Rest is part of the work. [1]"]


def test_markers_are_read_in_their_common_spellings():
    assert markers("It helps [1][2], and lasts [Passage 3] [1, 4].") == [1, 2, 3, 4]


PASSAGES = [
    "Studies have shown that practicing self-compassion can reduce stress, lower anxiety, and even improve immune "
    "function.",
    "At its core, self-compassion involves treating ourselves with the same kindness, care, and understanding that "
    "we would offer to a close friend.",
]


@pytest.fixture
def verifier(embedder):
    return Verifier(embedder.embed, PASSAGES, min_overlap=0.45, min_similarity=0.30)


@pytest.mark.parametrize(
    ("sentence", "verified", "reason"),
    [
        ("Practicing self-compassion can lower stress and anxiety [1].", True, ""),
        ("Self-compassion means offering ourselves the kindness we would give a close friend [2].", True, ""),
        ("Self-compassion means offering ourselves the kindness we would give a close friend [1].", False,
         "not supported"),
        ("Daily cold showers cure depression within weeks [1].", False, "not supported"),
        ("Practicing self-compassion can reduce stress by 40 percent [1].", False, "number not in the passages"),
        ("Practicing self-compassion can lower stress and anxiety.", False, "no citation"),
        ("Practicing self-compassion can lower stress and anxiety [3].", False, "no citation"),
    ],
    ids=["restated", "paraphrased", "mis-cited", "invented", "invented number", "no marker", "unknown passage"],
)  # fmt: skip
def test_the_support_check(verifier, sentence, verified, reason):
    checked = verifier.check(sentence)
    assert (checked.verified, checked.reason) == (verified, reason)


def test_a_sentence_citing_two_passages_keeps_only_the_one_that_supports_it(verifier):
    checked = verifier.check("Practicing self-compassion can lower stress and anxiety [1][2].")
    assert checked.verified and checked.supporting == (1,)


def test_which_modes_can_run_and_why_not(tmp_path):
    from assistant.config import Settings
    from assistant.llm.backends import available_modes

    reasons = available_modes(Settings(llm_model_path=tmp_path / "missing.gguf", data_dir=tmp_path))
    assert reasons["extractive"] == ""
    assert "ASSISTANT_ANSWER_MODE=openai" in reasons["openai"]
    assert "missing.gguf" in reasons["local"]
    served = available_modes(Settings(answer_mode="ollama", llm_base_url="http://127.0.0.1:9"))
    assert "ASSISTANT_LLM_MODEL" in served["ollama"]  # Ollama needs a model name
    assert available_modes(Settings(answer_mode="openai"))["openai"].startswith("no server configured")
    assert available_modes(Settings(data_dir=Path(tmp_path)))["local"] == ""  # the bundled model is installed
