"""The safety check: the classifier from its files, the three levels, and the messages people see."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors.torch import load_file

from assistant.index.embeddings import adapter_digest
from assistant.safety import CONCERN_NOTE, CRISIS_MESSAGE, CRISIS_RESOURCES, Level, assess
from assistant.safety.check import decide, forget_levels, own_texts
from assistant.safety.classifier import ADAPTER_DIR, MODEL_FILE, char_wb_ngrams, load
from assistant.safety.rules import families
from assistant.safety.training import (
    CONCERN_SHARE,
    TRAINING_DIR,
    digest,
    fit,
    floor_families,
    load_examples,
    thresholds,
    training_text,
)

# Canonical examples, written for these tests; none is in a training or evaluation batch.
CRISES = [
    "i have decided tonight is the night i end everything",
    "took the whole strip of my sleeping tablets about twenty minutes ago",
    "Quick question about the article. also i am standing on the railway bridge and i'm going to step off",
    "I'M SO DONE WITH BEING ALIVE, I'M ENDING IT TONIGHT",
    "been hiding fresh cuts on my arms again",
]
ORDINARY = [
    "What does the article say about building resilience?",
    "this commute is murdering me every single morning",
    "my dad passed last spring and i still miss him, how do i go easier on myself?",
    "how can I support a coworker who seems really low?",
    "I'm done with group chats, they drain me",
]


@pytest.fixture(scope="module")
def embed(safety_embedder):
    return safety_embedder.embed


def test_the_classifier_loads_from_its_file_and_was_trained_on_todays_data():
    model = load()
    assert MODEL_FILE.stat().st_size < 2_000_000  # small enough to keep in the repository
    assert 0 < model.concern_threshold < model.crisis_threshold < 1
    assert model.training_digest == digest(), "training/crisis changed: run python -m assistant.safety.training"
    # The vector head was trained with the adapter the app merges into its model.
    assert model.adapter_digest == adapter_digest(ADAPTER_DIR)
    assert model.floor_families == floor_families(load_examples())
    assert sum(p.stat().st_size for p in ADAPTER_DIR.iterdir()) < 2_000_000


def test_the_thresholds_come_from_out_of_batch_scores_of_every_safe_training_line():
    model = load()
    assert len(model.out_of_batch_safe) == sum(not e.crisis for e in load_examples())
    assert (model.concern_threshold, model.crisis_threshold) == pytest.approx(thresholds(model.out_of_batch_safe))
    flagged = np.mean(model.out_of_batch_safe >= model.concern_threshold)
    assert flagged == pytest.approx(CONCERN_SHARE, abs=0.005)


def test_the_classifier_separates_canonical_examples(embed):
    model = load()
    crisis = model.probabilities(CRISES, embed(CRISES))
    ordinary = model.probabilities(ORDINARY, embed(ORDINARY))
    assert min(crisis) > max(ordinary)


@pytest.mark.parametrize("text", ["I'M SO DONE WITH BEING ALIVE", "GIVING UP ON LIFE. sorry"])
def test_a_wish_to_die_in_capitals_without_a_plan_gets_at_least_the_lines(text, embed):
    result = assess(text, (), embed)
    assert result.shows_lines and result.level is not Level.NONE


@pytest.mark.parametrize("text", CRISES)
def test_crisis_messages_get_the_crisis_reply(text, embed):
    assert assess(text, (), embed).level is Level.CRISIS


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_messages_get_no_flag(text, embed):
    result = assess(text, (), embed)
    assert result.level is Level.NONE and not result.shows_lines


def test_a_precise_rule_family_is_a_floor_the_classifier_cannot_lower(embed):
    # An act under way with an ordinary question after a comma: the classifier reads it low, the floor does not.
    result = assess("ive overdosed and i feel weird, anyway what's chapter two about", (), embed)
    assert result.level is Level.CONCERN
    assert "act_under_way" in result.reasons and result.score < load().concern_threshold


def test_a_denial_only_a_loose_rule_family_matches_is_answered_without_a_flag(embed):
    result = assess("i'm not suicidal or anything, work is just a lot right now", (), embed)
    assert result.level is Level.NONE and result.reasons == ("intent_to_die",)
    assert "intent_to_die" not in load().floor_families


@pytest.mark.parametrize(
    "text", ["i'm not suicidal or anything, work is just a lot right now", "I used to cut myself years ago, I'm ok now"]
)
def test_a_loose_rule_family_adds_nothing_to_what_the_classifier_says(embed, text):
    model = load()
    result = assess(text, (), embed)
    loose = {family.name for family in families()} - set(model.floor_families)
    assert loose & set(result.reasons) and not set(result.reasons) & set(model.floor_families)
    expected = decide(False, result.score, result.context_score, model.concern_threshold, model.crisis_threshold)
    assert result.level is expected


@pytest.mark.parametrize(
    ("floor", "score", "context", "level"),
    [
        (False, 0.0, 0.0, Level.NONE),
        (True, 0.0, 0.0, Level.CONCERN),  # a precise family is a floor the classifier cannot lower
        (False, 0.5, 0.0, Level.CONCERN),
        (True, 0.5, 0.0, Level.CRISIS),  # ... and raises a concern to a crisis
        (False, 0.0, 0.5, Level.CONCERN),
        (True, 0.0, 0.5, Level.CONCERN),  # read with the earlier turns only: not raised
        (False, 0.9, 0.0, Level.CRISIS),
        (False, 0.0, 0.9, Level.CRISIS),
    ],
)
def test_the_level_from_the_floor_and_the_two_readings(floor, score, context, level):
    assert decide(floor, score, context, concern=0.4, crisis=0.8) is level


def test_a_plan_spread_over_turns_is_read_with_the_earlier_turns(embed):
    history = ["do you know if the old quarry by the ring road is still fenced off"]
    message = "good. i'll drive up there after dinner and not come back"
    alone, with_turns = assess(message, (), embed), assess(message, history, embed)
    assert with_turns.context_score > 0.5 and "with earlier turns" in with_turns.reasons
    assert with_turns.shows_lines and alone.context_score == 0.0


def test_a_message_right_after_a_crisis_turn_is_read_with_it(embed):
    message, history = "feeling sleepy now. it's fine", ["I've taken all my pills"]
    alone, after = assess(message, (), embed), assess(message, history, embed)
    assert alone.level is not Level.CRISIS  # on its own it could be anyone
    assert after.level is Level.CRISIS and "with earlier turns" in after.reasons and after.crisis_turns == (0,)


def test_once_the_crisis_turn_is_further_back_an_ordinary_question_is_answered_with_the_lines(embed):
    history = ["I want to end my life", "thank you, I called them", "can you tell me who wrote the article?"]
    result = assess("what does the article say about stress?", history, embed)
    assert result.level is Level.NONE
    assert result.earlier_flagged and result.shows_lines
    # The thanks right after the crisis turn was read with it; the question about the author was not a crisis.
    assert result.crisis_turns == (0, 1)


def test_an_earlier_turn_keeps_the_level_it_had_with_the_turns_before_it(embed):
    # "ok" alone is nothing; after the pills it was a crisis when it was asked, and it stays one: the lines stay
    # and a follow-up never searches for it.
    history = ["I've got all the pills lined up on the table", "ok"]
    assert assess("ok", (), embed).level is Level.NONE
    result = assess("what does the article say about friendship?", history, embed)
    assert result.shows_lines and {0, 1} <= set(result.crisis_turns)


def test_deep_into_a_long_conversation_the_check_reads_only_the_new_message_with_its_model(
    safety_embedder, monkeypatch
):
    # When the earlier turns' levels are not remembered (forgotten, or pushed out by other conversations), every
    # earlier turn is read again; past a few hundred readings a model that forgot them too would embed the whole
    # conversation again for every question, a second or more each.
    asked = [f"turn {i}: what does the article say about habit number {i}? And about rest?" for i in range(160)]
    assess(asked[150], asked[:150], safety_embedder.embed)
    forget_levels()
    encoded: list[str] = []
    encode = safety_embedder.encoder.encode
    monkeypatch.setattr(safety_embedder.encoder, "encode", lambda texts, *a: encoded.extend(texts) or encode(texts, *a))
    result = assess(asked[151], asked[:151], safety_embedder.embed)
    assert result.level is Level.NONE
    assert 0 < len(encoded) <= 4, encoded


def test_deep_into_a_conversation_a_question_asks_the_model_for_its_own_readings_only(safety_embedder):
    # The earlier turns' levels are remembered: none of them is embedded or scored again.
    asked = [f"turn {i}: and what does it say about kindness at work, number {i}?" for i in range(62)]
    requested: list[str] = []

    def embed(texts: list[str]) -> list[list[float]]:
        requested.extend(texts)
        return safety_embedder.embed(texts)

    assess(asked[60], asked[:60], embed)
    requested.clear()
    assess(asked[61], asked[:61], embed)
    assert requested == own_texts(asked[61], asked[:61])


def test_a_remembered_turn_counts_only_after_the_turns_it_was_read_with(safety_embedder):
    # The same "ok" is a crisis after a plan and nothing after an ordinary question, whichever was remembered first.
    embed = safety_embedder.embed
    plan = ["I've got all the pills lined up on the table", "ok"]
    plain = ["what does the article say about rest?", "ok"]
    forget_levels()
    after_plan = assess("what about sleep?", plan, embed)
    after_plain = assess("what about sleep?", plain, embed)
    assert 1 in after_plan.crisis_turns and after_plan.shows_lines
    assert after_plain.crisis_turns == () and not after_plain.shows_lines
    forget_levels()
    assert assess("what about sleep?", plain, embed) == after_plain
    assert assess("what about sleep?", plan, embed) == after_plan


def test_without_a_model_only_the_rules_run():
    assert assess("i just took all my pills").level is Level.CONCERN
    assert assess("what is self-compassion?").level is Level.NONE


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_assessed_without_error(safety_embedder, text):
    assert assess(text, (), safety_embedder.embed).level in set(Level)


@pytest.mark.parametrize("text", ["I WANT   to die!!", "ok go", "naïve café — fine", "a\tb\nc"])
def test_ngram_features_equal_scikit_learns(text):
    from sklearn.feature_extraction.text import TfidfVectorizer

    model = load()
    reference = TfidfVectorizer(
        analyzer="char_wb", ngram_range=model.ngram_range, sublinear_tf=True, vocabulary=model.vocabulary
    )
    reference.idf_ = model.idf
    expected = reference.transform([text]).toarray()[0]
    ours = np.zeros(len(model.vocabulary))
    for index, value in model.ngram_features(text).items():
        ours[index] = value
    assert np.allclose(ours, expected, atol=1e-5)
    assert char_wb_ngrams(text, *model.ngram_range) == reference.build_analyzer()(text)


def test_training_is_deterministic(tmp_path):
    examples = load_examples()[::60]
    texts = [training_text(e) for e in examples]
    labels = np.array([e.crisis for e in examples])
    (first, tuned), (second, _) = fit(texts, labels, epochs=1), fit(texts, labels, epochs=1)
    assert np.array_equal(first.vector_coef, second.vector_coef)
    assert np.array_equal(first.ngram_coef, second.ngram_coef)
    # The tuned model reads the labels it was tuned on better than chance.
    scores = first.probabilities(texts, tuned.embed(texts))
    crisis = [s for s, label in zip(scores, labels, strict=True) if label]
    safe = [s for s, label in zip(scores, labels, strict=True) if not label]
    assert np.mean(crisis) > np.mean(safe)
    # The adapter is written in half precision, like the committed one, and names no machine.
    tuned.save_adapter(tmp_path / "adapter")
    saved = load_file(str(tmp_path / "adapter" / "adapter_model.safetensors"))
    assert saved and {t.dtype for t in saved.values()} == {torch.float16}
    assert {t.dtype for t in load_file(str(ADAPTER_DIR / "adapter_model.safetensors")).values()} == {torch.float16}
    assert str(tmp_path) not in (tmp_path / "adapter" / "adapter_config.json").read_text(encoding="utf-8")


def test_the_training_batches_are_large_and_say_how_they_were_written():
    examples = load_examples()
    assert len(examples) >= 3000
    assert 0.4 < sum(e.crisis for e in examples) / len(examples) < 0.6
    assert len({e.category for e in examples}) >= 20
    how_written = (TRAINING_DIR / "HOW_WRITTEN.md").read_text(encoding="utf-8")
    assert all(f"{path.name}" in how_written for path in TRAINING_DIR.glob("*.jsonl")), "a batch says nothing of how"


def test_the_concern_note_is_one_gentle_line():
    assert "\n" not in CONCERN_NOTE and len(CONCERN_NOTE) < 200


@pytest.mark.parametrize("number", ["988", "911", "116 123", "13 11 14", "000"])
def test_crisis_message_and_resources_list_every_line(number):
    assert number in CRISIS_MESSAGE
    assert number in CRISIS_RESOURCES


def test_crisis_message_says_what_the_assistant_is_not():
    text = CRISIS_MESSAGE.lower()
    assert "not a crisis service" in text
    assert "therapist" in text
    assert "samaritans" in text
    assert "lifeline" in text
    assert "local emergency" in text


def test_messages_are_plain_text_without_html_or_methods():
    for message in (CRISIS_MESSAGE, CRISIS_RESOURCES):
        assert "<" not in message and ">" not in message
        assert not any(word in message.lower() for word in ("pill", "rope", "bridge", "overdose", "dose", "gun"))


def test_resources_are_shorter_than_the_full_message():
    assert len(CRISIS_RESOURCES) < len(CRISIS_MESSAGE)
