"""The question cleaner: what a person types becomes one tidy line, or a clear refusal."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from assistant.answer.kinds import clean_question
from assistant.errors import InvalidQuestionError

# Characters a reader cannot see: zero-width ones and the byte-order mark,
# bidirectional controls (which reorder what is shown), Unicode tags.
ZERO_WIDTH = set("\u200b\u200c\u200d\u2060\ufeff\u00ad")
BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def is_hidden(char: str) -> bool:
    return (
        unicodedata.category(char) in ("Cc", "Cs")
        or char in ZERO_WIDTH
        or char in BIDI
        or "\U000e0000" <= char <= "\U000e007f"
    )


# Text drawn from all of Unicode, lone surrogates included (they arrive from
# badly decoded form data), with extra weight on the troublesome characters.
any_text = st.text(
    alphabet=st.one_of(
        st.characters(exclude_categories=()),
        st.sampled_from([*sorted(ZERO_WIDTH | BIDI), "\n", "\r", "\t", "\x00", "\x1b", "\u3000", "\U000e0041"]),
    )
)


def clean_or_none(raw: str, max_chars: int = 1000) -> str | None:
    try:
        return clean_question(raw, max_chars=max_chars)
    except InvalidQuestionError:
        return None


@given(any_text)
@example("\u200b\u202e \n\t")
@example("a\u0301\u200b\u0301")
def test_any_text_gives_a_question_or_a_friendly_refusal(raw):
    # Anything other than InvalidQuestionError escaping here fails the test.
    clean_or_none(raw)


@given(any_text)
@example("a\ud800b \udfff")
@example("x\u2028y\u2029z\x85")
def test_output_has_no_hidden_characters_and_tidy_spaces(raw):
    cleaned = clean_or_none(raw)
    if cleaned is None:
        return
    assert not [c for c in cleaned if is_hidden(c)]
    assert cleaned == cleaned.strip()
    assert "  " not in cleaned
    assert not any(c.isspace() and c != " " for c in cleaned)
    assert unicodedata.is_normalized("NFC", cleaned)


@given(any_text)
@example("e\u200b\u0301")
@example("\u1100\u200b\u1161")
def test_cleaning_twice_changes_nothing(raw):
    cleaned = clean_or_none(raw)
    if cleaned is not None:
        assert clean_question(cleaned) == cleaned


@given(any_text, st.integers(min_value=1, max_value=40))
def test_length_limit_is_enforced_never_truncated(raw, limit):
    unlimited = clean_or_none(raw, max_chars=10**9)
    if unlimited is None:
        return
    if len(unlimited) <= limit:
        assert clean_question(raw, max_chars=limit) == unlimited
    else:
        with pytest.raises(InvalidQuestionError, match=f"limit is {limit:,}"):
            clean_question(raw, max_chars=limit)


def test_markup_is_dropped_and_its_words_kept():
    raw = "<script>alert('hi')</script> What is   <b>self-kindness</b>?"
    assert clean_question(raw) == "What is self-kindness?"


def test_zero_width_characters_inside_a_word_are_removed():
    assert clean_question("What is self\u200b-com\u200dpas\ufeffsion?") == "What is self-compassion?"


def test_bidi_override_cannot_reorder_the_question():
    assert clean_question("Is \u202eevil\u202c kindness?") == "Is evil kindness?"


def test_lone_surrogates_are_dropped_so_the_question_can_be_encoded():
    cleaned = clean_question("kind\ud83dness")
    assert cleaned == "kindness"
    cleaned.encode("utf-8")


def test_newlines_become_single_spaces():
    assert clean_question("  What is\n\n common\r\nhumanity?\t ") == "What is common humanity?"


def test_composed_form_is_used():
    assert clean_question("Cafe\u0301 talk") == "Café talk"


def test_a_question_of_exactly_the_limit_is_accepted():
    assert len(clean_question("a" * 1000)) == 1000


def test_a_question_over_the_limit_is_refused_naming_the_limit():
    with pytest.raises(InvalidQuestionError) as caught:
        clean_question("a" * 1001)
    message = str(caught.value)
    assert "1,001" in message
    assert "limit is 1,000" in message


def test_the_limit_counts_the_cleaned_question():
    # Invisible padding is not held against the person.
    assert clean_question("a" * 1000 + "\u200b" * 50) == "a" * 1000


@pytest.mark.parametrize("raw", ["", "   ", "\n\t ", "\u200b\u200b", "\x00\x07", "\u202e"])
def test_blank_questions_are_refused_with_a_friendly_message(raw):
    with pytest.raises(InvalidQuestionError, match="Please type a question"):
        clean_question(raw)


@pytest.mark.parametrize("raw", [None, b"What is self-compassion?", 42, ["a question"]])
def test_non_text_is_refused_not_a_type_error(raw):
    with pytest.raises(InvalidQuestionError):
        clean_question(raw)
