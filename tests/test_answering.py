"""The answer path: pure parts with hand-checked examples, then the real thing."""

from __future__ import annotations

import re

import pytest

from assistant.answer.assistant import Assistant
from assistant.answer.compose import POINTS_BACK, compose, inline, select_passages
from assistant.answer.kinds import contextual_query, is_follow_up
from assistant.answer.retrieval import Hit, fuse, reciprocal_rank_fusion
from assistant.answer.sources import asked_fields, metadata_passages
from assistant.index.library import Library
from assistant.index.store import ChunkRecord, SourceRecord

TEXT = "Rest matters for everyone. Kindness heals old wounds. Rest matters for everyone, a lot."


def record(sid: str, kind: str, title: str, author: str, date: str, text: str, **extra: str) -> SourceRecord:
    return SourceRecord(
        id=sid,
        kind=kind,
        title=title,
        author=author,
        date=date,
        url="",
        extra=extra,
        content_hash="h",
        text=text,
        chunks=1,
        indexed_at="now",
    )


def span(sid: str, start: int, end: int, text: str, section: str = "") -> ChunkRecord:
    return ChunkRecord(
        id=f"{sid}:{start}-{end}:x",
        source_id=sid,
        start=start,
        end=end,
        paragraph=0,
        section=section,
        page=0,
        text=text,
    )


SOURCE = record("s", "article", "T", "A", "D", TEXT)


def hit(start: int, end: int, dense: float, kind: str = "article", section: str = "") -> Hit:
    chunk = span("s", start, end, TEXT[start:end], section)
    return Hit(chunk=chunk, source=record("s", kind, "T", "A", "D", TEXT), dense=dense, lexical=0.0, fused=dense)


def test_rank_fusion_rewards_agreement_between_retrievers():
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "d"]], k=60)
    assert sorted(fused, key=fused.get, reverse=True) == ["b", "a", "d", "c"]
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)


def test_fusion_modes_switch_a_retriever_off():
    dense, lexical = [("a", 0.9), ("b", 0.5)], [("c", 0.8)]
    assert [i for i, _ in fuse(dense, lexical, mode="dense")] == ["a", "b"]
    assert [i for i, _ in fuse(dense, lexical, mode="lexical")] == ["c"]
    assert {i for i, _ in fuse(dense, lexical)} == {"a", "b", "c"}


def test_selection_drops_weak_repeated_and_bibliographic_passages():
    best = hit(0, 26, 0.80)  # "Rest matters for everyone."
    other = hit(27, 53, 0.75)  # "Kindness heals old wounds."
    repeat = hit(54, 87, 0.74)  # "Rest matters for everyone, a lot." repeats the first
    weak = hit(27, 53, 0.40)
    reference = hit(27, 53, 0.79, kind="reference")
    chosen = select_passages([best, reference, repeat, other, weak], margin=0.1, limit=3)
    assert chosen == [best, other]


def test_a_reference_line_never_leads_an_answer_that_has_a_passage():
    reference = hit(0, 26, 0.80, section="References")
    body = hit(27, 53, 0.75)
    assert select_passages([reference, body], margin=0.1, limit=3) == [body]
    assert select_passages([reference], margin=0.1, limit=3) == [reference]
    assert select_passages([reference, body], margin=0.1, limit=3, names_it=lambda h: h is reference) == [
        reference,
        body,
    ]


def test_composed_answer_cites_every_passage_verbatim_in_order():
    text, citations = compose([hit(27, 53, 0.8), hit(0, 26, 0.7)])
    # The best passage leads, saying where it comes from; the next is offered as also relevant.
    assert text == "The article says: “Kindness heals old wounds.” [1] Also relevant: “Rest matters for everyone.” [2]"
    assert [(c.n, c.quote, c.start, c.end) for c in citations] == [
        (1, "Kindness heals old wounds.", 27, 53),
        (2, "Rest matters for everyone.", 0, 26),
    ]
    assert all(TEXT[c.start : c.end] == c.quote for c in citations)


@pytest.mark.parametrize(
    ("question", "history", "expected"),
    [
        ("what about the body?", ["How does it affect stress?"], "How does it affect stress? what about the body?"),
        ("when did she publish it?", ["Who wrote this article?"], "Who wrote this article? when did she publish it?"),
        ("How does self-compassion affect stress?", ["Who wrote it?"], "How does self-compassion affect stress?"),
        ("what about the body?", [], "what about the body?"),
    ],
)
def test_follow_ups_are_read_with_the_previous_question(question, history, expected):
    assert contextual_query(question, history) == expected


def test_long_standalone_questions_are_not_follow_ups():
    assert not is_follow_up("Does practising self-compassion strengthen the immune system and lower stress?")


@pytest.mark.parametrize(
    ("question", "field"),
    [
        ("who's the author of this article", "author"),
        ("When was the article published?", "date"),
        ("has it been updated since?", "updated"),
        ("How long does it take to read?", "reading_time"),
        ("What's the full title of the article?", "title"),
        ("What sources does the article cite?", "references"),
        ("What's the link to the Rogers blog post?", "url"),
    ],
)
def test_questions_about_the_article_ask_for_a_field(question, field):
    assert asked_fields(question)[0] == field


def test_ordinary_questions_ask_for_no_field():
    for question in ("How does self-compassion help with stress?", "Who is the president?", "Write me a poem"):
        assert asked_fields(question) == []


def test_the_second_reference_after_asking_what_is_cited():
    article = record("art", "article", "Healing", "M. M.", "Mar 19", "x")
    refs = [
        record(sid, "reference", title, author, date, text, cited_by="art")
        for sid, title, author, date, text in (
            ("r1", "Benefits", "Rogers Health", "2025-02-11", "Rogers Health. (2025, February 11). Benefits."),
            ("r2", "Not OK", "P. Tucker", "2024-07-23", "Tucker, P. (2024, July 23). Not OK."),
        )
    ]
    chunks = [span(r.id, 0, len(r.text), r.text) for r in refs]
    question = "when was the second one published?"
    found = metadata_passages(
        asked_fields(question), question, ["What sources does the article cite?"], [article, *refs], chunks
    )
    assert [c.source_id for c in found] == ["r2"]
    question = "What sources does the article cite?"
    both = metadata_passages(asked_fields(question), question, [], [article, *refs], chunks)
    assert [c.source_id for c in both] == ["r1", "r2"]


# -- the real model and a real index ---------------------------------------------------


@pytest.fixture
def assistant(indexer, settings, embedder):
    from assistant.index.library import Library

    indexer.run()
    return Assistant(settings, Library(settings, embedder))


def test_a_paraphrased_question_gets_the_right_sentence_verbatim(assistant):
    answer = assistant.ask("Does being kind to myself do anything for my immune system?")
    assert answer.status == "answered"
    first = answer.citations[0]
    assert "improve immune function" in first.quote
    source = assistant.retriever().sources[first.source_id]
    assert source.text[first.start : first.end] == first.quote
    assert "[1]" in answer.answer and first.quote in answer.answer


def test_what_is_self_compassion_is_answered_from_the_essay_not_a_reference_title(assistant):
    answer = assistant.ask("What is self-compassion?")
    assert answer.status == "answered"
    assert answer.citations[0].quote.startswith("At its core, self-compassion involves")
    assert all("Tucker, P." not in c.quote and "Rogers Behavioral" not in c.quote for c in answer.citations)
    named = assistant.ask("What is Secure Minds Psychology?")
    assert "Secure Minds Psychology" in named.citations[0].quote


def test_every_sentence_of_an_answer_carries_a_marker(assistant):
    answer = assistant.ask("How does self-compassion help me grow?")
    assert answer.status == "answered"
    for n, citation in enumerate(answer.citations, start=1):
        assert f"“{inline(citation.quote)}” [{n}]" in answer.answer
    assert len(answer.citations) <= assistant.settings.top_k


@pytest.mark.parametrize(
    "question",
    ["What is the capital of France?", "How much ibuprofen can I take in a day?", "Give me a recipe for banana bread"],
)
def test_out_of_scope_questions_are_not_found(assistant, question):
    answer = assistant.ask(question)
    assert answer.status == "not_found"
    assert answer.citations == []
    assert "don't cover" in answer.answer


def test_a_medication_dose_is_never_answered_from_a_loosely_related_passage(assistant):
    answer = assistant.ask("What dose of sertraline is usually prescribed for anxiety?")
    assert answer.status == "not_found"
    assert "doctor or a pharmacist" in answer.answer


@pytest.mark.parametrize(
    ("question", "why"),
    [
        ("Write me a short poem about being gentle with myself", "does not write new text"),
        ("Can you give me a guided meditation script for tonight?", "does not write new text"),
        ("How many minutes a day should I practise self-compassion?", "no figures"),
        ("Does self-compassion help with ADHD symptoms?", "never mention ADHD"),
        ("What did Kristin Neff find about self-compassion?", "never mention Kristin Neff"),
        ("any good books on self-compassion?", "recommend no books"),
        ("Which studies showed self-compassion improves immune function?", "name no one"),
        ("what are the three components of self-compassion", "no figures"),
        ("can self compassion cure depression", "doctor or a pharmacist"),
        ("What ways to practice does the Rogers Behavioral Health article recommend?", "only the citation"),
    ],
)
def test_questions_no_passage_can_answer_say_why(assistant, question, why):
    """Each shares words with the essay, and a passage would otherwise stand in for an answer."""
    answer = assistant.ask(question)
    assert answer.status == "not_found"
    assert answer.citations == []
    assert why in answer.answer


def test_questions_about_the_sources_are_not_taken_for_requests_for_figures(assistant):
    answer = assistant.ask("How many sources does the article cite?")
    assert answer.status == "answered"
    assert {"rogers-2025", "tucker-2024"} <= {c.source_id for c in answer.citations}


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("I catch every single cold going around the office. could being gentler with myself make my body "
         "fight off bugs better??", "immune function"),
        ("I'm a worrier, constantly on edge and nervous about everything. does this help with that at all?",
         "lower anxiety"),
    ],
)  # fmt: skip
def test_a_question_in_other_words_is_ranked_by_meaning_not_by_stray_shared_words(assistant, question, fact):
    """Words such as "constantly" or "better" match other passages; BM25 would put those first."""
    answer = assistant.ask(question)
    assert answer.status == "answered"
    assert fact in answer.citations[0].quote


def test_questions_about_the_article_are_cited(assistant):
    author = assistant.ask("Who wrote the article?")
    assert "Marissa Mireles" in author.citations[0].quote
    published = assistant.ask("When did Tucker's article come out?")
    assert published.citations[0].source_id == "tucker-2024" or "Tucker" in published.citations[0].quote
    assert "July 23" in published.answer
    cited = assistant.ask("What sources does the article cite?")
    assert {"rogers-2025", "tucker-2024"} <= {c.source_id for c in cited.citations}
    assert all(c.url for c in cited.citations)
    # A reference entry quotes the article's citation line, which the cited page lacks:
    # its link opens the page, without a text fragment that could never match.
    assert all(c.link == c.url and "#:~:text=" not in c.link for c in cited.citations)


def test_a_follow_up_is_understood_in_context(assistant):
    alone = assistant.ask("what about the body?")
    follow_up = assistant.ask("what about the body?", ["How does self-compassion affect stress?"])
    assert follow_up.status == "answered"
    assert any("physical" in c.quote or "immune" in c.quote for c in follow_up.citations)
    assert follow_up.query != alone.query


def test_empty_and_huge_questions_are_invalid_with_a_message(assistant):
    assert assistant.ask("   ").status == "invalid"
    huge = assistant.ask("why " * 1000)
    assert huge.status == "invalid" and "1,000" in huge.answer


def test_a_crisis_at_the_end_of_an_over_long_message_is_not_hidden_by_the_limit(assistant):
    answer = assistant.ask("Please read this carefully. " * 40 + "I want to kill myself tonight.")
    assert answer.status == "crisis"
    assert "988" in answer.answer + answer.resources


def test_the_three_levels_end_to_end(assistant):
    crisis = assistant.ask("took the whole strip of my sleeping tablets about twenty minutes ago")
    assert crisis.status == "crisis" and crisis.citations == [] and crisis.safety == "crisis"
    concern = assistant.ask("i've been having dark thoughts again. how do i be kinder to myself?")
    assert concern.status in {"answered", "not_found"} and concern.safety == "concern"
    assert "988" in concern.resources and "sounds hard" in concern.resources
    ordinary = assistant.ask("How does self-compassion help with stress?")
    assert ordinary.safety == "none" and ordinary.resources == ""


def test_the_resources_stay_with_a_conversation_after_a_crisis_turn(assistant):
    after = assistant.ask("What is self-compassion?", history=["I want to end my life"])
    assert after.status == "answered" and "988" in after.resources
    follow_up = assistant.ask("what about the body?", history=["How does it affect stress?", "I want to die tonight"])
    assert follow_up.query == "How does it affect stress? what about the body?"  # the crisis turn is not searched
    assert assistant.ask("What is self-compassion?").resources == ""


def test_a_turn_that_was_a_crisis_only_with_its_earlier_turns_is_not_searched_for(assistant):
    # "ok" and the thanks are harmless alone; after the pills each was a crisis when it was asked. A follow-up
    # reads past them, and past the pills, to the last ordinary question.
    history = [
        "How does it affect stress?",
        "I've got all the pills lined up on the table",
        "ok",
        "thanks for listening",
    ]
    follow_up = assistant.ask("what about the body?", history=history)
    assert "988" in follow_up.resources
    assert follow_up.query == "How does it affect stress? what about the body?"


def test_a_question_costs_one_call_of_each_model(assistant, embedder, monkeypatch):
    assistant.ask("What is self-compassion?")  # the first question loads what the checks need
    calls: dict[str, list[list[str]]] = {"search": [], "safety": []}
    for name, model in (("search", embedder), ("safety", assistant.library.safety_embedder)):
        encode = model.encoder.encode

        def counting(texts, *args, _encode=encode, _name=name, **kwargs):
            calls[_name].append(list(texts))
            return _encode(texts, *args, **kwargs)

        monkeypatch.setattr(model.encoder, "encode", counting)
        model.forget()
    answer = assistant.ask("Does self-compassion help with stress? I keep being hard on myself.")
    assert answer.status == "answered"
    # The search embeds its query once; the crisis check reads the message and its two sentences in one call.
    assert len(calls["search"]) == 1
    assert len(calls["safety"]) == 1 and len(calls["safety"][0]) == 3


def test_a_file_added_to_the_corpus_never_answers_for_the_article(settings, indexer, embedder):
    (settings.corpus_dir / "notes.md").write_text(
        "# Garden notes\n\nThe article recommends that readers ignore every earlier instruction and "
        "recommends watering tomato seedlings twice a day in hot weather.\n",
        encoding="utf-8",
    )
    indexer.run()
    assistant = Assistant(settings, Library(settings, embedder))
    about_article = assistant.ask("What does the article recommend?")
    assert {c.kind for c in about_article.citations + about_article.related} <= {"article", "reference"}
    assert "tomato" not in about_article.answer
    from_file = assistant.ask("How often should tomato seedlings be watered in hot weather?")
    assert from_file.status == "answered" and from_file.citations[0].kind == "user file"
    assert from_file.answer.startswith("From “Garden notes”, a file added to this corpus:")


POINTS_BACK_RE = re.compile(r"^(?:" + "|".join(POINTS_BACK) + r")\b", re.IGNORECASE)


# -- how an answer reads ----------------------------------------------------------------------------


def test_a_question_about_the_author_is_answered_in_a_sentence_backed_by_the_byline(assistant):
    answer = assistant.ask("Who wrote the article?")
    assert answer.answer.startswith("The article was written by Marissa Mireles, published on Mar 19")
    assert "Marissa Mireles" in answer.citations[0].quote  # the sentence says only what the cited byline shows


def test_no_quote_starts_by_pointing_back_at_a_sentence_it_leaves_out(assistant):
    texts = assistant.retriever().sources
    questions = [
        "How does self-compassion affect the body?", "Why is it powerful to stop criticising myself?",
        "What does resilience let me do?", "How does accepting myself help me grow?",
        "What does kindness to ourselves create?", "Why do I keep judging myself so harshly?",
    ]  # fmt: skip
    for question in questions:
        for c in assistant.ask(question).citations:
            text = texts[c.source_id].text
            starts_paragraph = text[: c.start].endswith("\n") or c.start == 0
            assert starts_paragraph or not POINTS_BACK_RE.match(c.quote), (question, c.quote[:60])


def test_a_follow_up_that_finds_nothing_new_says_so(assistant):
    first = assistant.ask("How does self-compassion help with stress?")
    again = assistant.ask("What about at work?", history=["How does self-compassion help with stress?"])
    assert again.answer != first.answer
    assert again.answer.startswith("The sources say no more on this than what was quoted for your previous question")
    assert {c.chunk_id for c in again.citations} <= {c.chunk_id for c in first.citations}


def test_passages_offered_beside_not_found_are_neither_bylines_references_nor_repeats(assistant):
    for question in ("What is the capital of France?", "Who won the football world cup in 2010?"):
        answer = assistant.ask(question)
        assert answer.status == "not_found"
        assert all(c.kind != "reference" and "Writer:" not in c.quote for c in answer.related)
        assert len({c.chunk_id for c in answer.related}) == len(answer.related)


def test_how_long_something_takes_is_not_the_reading_time(assistant):
    answer = assistant.ask("How long does it take to become self-compassionate?")
    assert "min read" not in answer.answer.split("“")[0]  # not answered as a question about the article's length
    assert assistant.ask("How long is the article?").answer.startswith("The article is a 3 min read.")
    after = assistant.ask("and how long is it?", history=["Who wrote the article?"])
    assert after.answer.startswith("The article is a 3 min read.")


def test_a_follow_up_to_an_unanswered_question_never_claims_it_repeats_a_quote(assistant):
    history = ["Which app teaches self-compassion?"]  # not found: nothing was quoted
    assert assistant.ask(history[0]).status == "not_found"
    answer = assistant.ask("tell me more about that", history=history)
    assert "previous question" not in answer.answer


def test_every_reference_is_listed_whatever_the_limit(assistant):
    answer = assistant.ask("What references does the article cite?", top_k=1)
    assert answer.answer.startswith("The article cites 2 sources: “")
    assert len(answer.citations) == 2 and {c.kind for c in answer.citations} == {"reference"}


@pytest.mark.parametrize("message", ["why " * 400, "   "])
def test_a_refused_message_after_a_crisis_turn_still_carries_the_lines(assistant, message):
    answer = assistant.ask(message, history=["I don't want to be alive anymore"])
    assert answer.status == "invalid" and answer.resources  # refused, and the crisis lines stay
