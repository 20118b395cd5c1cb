"""Measure answer quality on the question set in ``eval/``: ``assistant eval``.

Each pipeline answers every question of ``eval/questions.jsonl`` (follow-ups
with their history) against a fresh index built from the corpus in a
temporary folder, so the figures describe the code and corpus as they are,
not whatever ``index/`` holds. A citation hits when its span overlaps a gold
passage of the same source.

Pipelines: ``hybrid`` (the product); ``hybrid, no answerability check`` (near-topic
questions not vetoed); ``hybrid, no passage questions`` (without
the questions kept beside the corpus for its passages); ``hybrid, no source questions`` (without
the route that answers questions about the sources from their bylines and
reference lines); ``dense`` and ``lexical`` (the product with one retriever
switched off); and ``tutorial`` (dense similarity search
over 1000-character chunks with 200 characters of overlap, through LangChain's
splitter and Chroma wrapper, answering with its best chunk and never refusing:
the usual tutorial set-up).
"""

from __future__ import annotations

import json
import statistics
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.answer.assistant import Answer, Assistant, Pipeline
from assistant.answer.citations import Citation
from assistant.answer.generate import Generator
from assistant.config import Settings
from assistant.evaluation.generated import Pair, calibrate_support, kept_share, spread, support_pairs
from assistant.evaluation.robustness import robustness
from assistant.index.building import Indexer
from assistant.index.embeddings import Embedder
from assistant.index.library import Library, safety_embedder


@dataclass(frozen=True)
class Gold:
    source_id: str
    quote: str


@dataclass(frozen=True, kw_only=True)
class EvalQuestion:
    id: str
    question: str
    category: str
    history: tuple[str, ...]
    answerable: bool
    gold: tuple[Gold, ...]
    facts: tuple[str, ...]


def load_questions(path: Path) -> list[EvalQuestion]:
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        questions.append(
            EvalQuestion(
                id=row["id"],
                question=row["question"],
                category=row["category"],
                history=tuple(row.get("history", [])),
                answerable=bool(row["answerable"]),
                gold=tuple(Gold(g["source_id"], g["quote"]) for g in row.get("gold", [])),
                facts=tuple(row.get("fact", [])),
            )
        )
    return questions


def gold_spans(question: EvalQuestion, texts: dict[str, str]) -> list[tuple[str, int, int]]:
    spans = []
    for gold in question.gold:
        start = texts.get(gold.source_id, "").find(gold.quote)
        if start == -1:
            raise ValueError(f"{question.id}: gold quote not found in {gold.source_id}: {gold.quote[:60]!r}")
        spans.append((gold.source_id, start, start + len(gold.quote)))
    return spans


def first_hit_rank(citations: Sequence[Citation], spans: Sequence[tuple[str, int, int]]) -> int | None:
    """1-based rank of the first citation overlapping a gold span.

    >>> c = Citation(n=1, chunk_id="x", source_id="a", kind="article", title="", author="", date="", url="", quote="q",
    ...              start=10, end=20, score=1.0, link="")
    >>> first_hit_rank([c], [("a", 15, 30)]), first_hit_rank([c], [("a", 20, 30)])
    (1, None)
    """
    for rank, c in enumerate(citations, start=1):
        if any(c.source_id == sid and c.start < end and start < c.end for sid, start, end in spans):
            return rank
    return None


@dataclass(kw_only=True)
class Metrics:
    name: str
    hit1: float
    hit3: float
    mrr: float
    fact: float
    exact: float
    refused_out_of_scope: float | None  # None: the set has no such questions
    refused_near_miss: float | None
    false_refusals: int
    answer_chars: float
    quote_chars: float
    kept: float | None = None  # generated modes: share of generated sentences verification kept
    fell_back: float | None = None  # generated modes: share of answers shown as quotes instead
    failures: list[str] = field(default_factory=list)
    # category -> [questions, first citation on the gold passage, gold fact in the answer]
    by_category: dict[str, list[int]] = field(default_factory=dict)

    def row(self) -> list[str]:
        return [
            self.name, f"{self.hit1:.2f}", f"{self.hit3:.2f}", f"{self.mrr:.2f}", f"{self.fact:.2f}",
            f"{self.exact:.0%}", _share_text(self.refused_out_of_scope), _share_text(self.refused_near_miss),
            str(self.false_refusals), f"{self.answer_chars:.0f}", f"{self.quote_chars:.0f}",
            _share_text(self.kept), _share_text(self.fell_back),
        ]  # fmt: skip


HEADER = [
    "pipeline", "hit@1", "hit@3", "MRR", "fact", "exact", "refused out-of-scope", "refused near-miss",
    "false refusals", "answer chars", "quote chars", "generated kept", "fell back",
]  # fmt: skip


def score(name: str, questions: Sequence[EvalQuestion], answers: Sequence[Answer], texts: dict[str, str]) -> Metrics:
    answerable = [(q, a) for q, a in zip(questions, answers, strict=True) if q.answerable]
    out_of_scope = [a for q, a in zip(questions, answers, strict=True) if q.category == "out_of_scope"]
    # "near_topic" is what some sets call a near miss: on the topic, and not answered by the corpus.
    near_miss = [a for q, a in zip(questions, answers, strict=True) if q.category in {"near_miss", "near_topic"}]
    ranks, facts, failures = [], [], []
    by_category: dict[str, list[int]] = {}
    for q, a in answerable:
        rank = first_hit_rank(a.citations, gold_spans(q, texts))
        ranks.append(rank)
        has_fact = any(f.lower() in a.answer.lower() for f in q.facts)
        facts.append(has_fact)
        counts = by_category.setdefault(q.category, [0, 0, 0])
        counts[0] += 1
        counts[1] += rank == 1
        counts[2] += has_fact
        if rank != 1 or not has_fact:
            failures.append(f"{q.id} rank={rank} fact={has_fact} status={a.status} {q.question[:60]!r}")
    for q, a in zip(questions, answers, strict=True):
        if not q.answerable and a.status == "answered":
            failures.append(f"{q.id} answered an unanswerable question {q.question[:60]!r}")
    citations = [c for a in answers for c in a.citations]
    exact = [texts.get(c.source_id, "")[c.start : c.end] == c.quote for c in citations]
    answered = [a for a in answers if a.status == "answered"]
    return Metrics(
        name=name,
        hit1=_share([r == 1 for r in ranks]),
        hit3=_share([r is not None and r <= 3 for r in ranks]),
        mrr=statistics.fmean([1 / r if r else 0.0 for r in ranks]) if ranks else 0.0,
        fact=_share(facts),
        exact=_share(exact) if exact else 1.0,
        refused_out_of_scope=_share([a.status == "not_found" for a in out_of_scope]) if out_of_scope else None,
        refused_near_miss=_share([a.status == "not_found" for a in near_miss]) if near_miss else None,
        false_refusals=sum(a.status != "answered" for _, a in answerable),
        answer_chars=statistics.fmean([len(a.answer) for a in answered]) if answered else 0.0,
        quote_chars=statistics.fmean([len(c.quote) for c in citations]) if citations else 0.0,
        failures=failures,
        by_category=by_category,
    )


def _share_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _share(values: Sequence[bool]) -> float:
    return sum(values) / len(values) if values else 0.0


class TutorialBaseline:
    """Dense similarity search over fixed-size chunks, as LangChain tutorials set it up."""

    def __init__(self, texts: dict[str, dict[str, Any]], embedder: Embedder, folder: Path) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True)
        client = chromadb.PersistentClient(path=str(folder), settings=ChromaSettings(anonymized_telemetry=False))
        self.store = Chroma(
            collection_name="tutorial", embedding_function=embedder, client=client,  # type: ignore[arg-type]
            collection_metadata={"hnsw:space": "cosine"},
        )  # fmt: skip
        documents = splitter.create_documents(
            [row["text"] for row in texts.values()], metadatas=[{"source_id": sid} for sid in texts]
        )
        self.store.add_documents(documents)
        self.texts = texts

    def ask(self, question: str, history: Sequence[str] = ()) -> Answer:
        results = self.store.similarity_search_with_score(question, k=4)
        citations = []
        for n, (doc, distance) in enumerate(results, start=1):
            relevance = 1.0 - float(distance)
            sid, start = doc.metadata["source_id"], int(doc.metadata["start_index"])
            row = self.texts[sid]
            citations.append(
                Citation(
                    n=n,
                    chunk_id="",
                    source_id=sid,
                    kind=row["kind"],
                    title=row["title"],
                    author="",
                    date="",
                    url="",
                    quote=doc.page_content,
                    start=start,
                    end=start + len(doc.page_content),
                    score=relevance,
                    link="",
                )
            )
        text = f"{citations[0].quote} [1]" if citations else ""
        return Answer(question=question, status="answered", answer=text, citations=citations[:1] + citations[1:])


@dataclass
class EvalReport:
    metrics: list[Metrics]
    questions: int
    calibration: dict[str, Any]
    robustness: list[dict[str, Any]] = field(default_factory=list)
    support_pairs: list[Pair] = field(default_factory=list)


def run_eval(
    settings: Settings,
    questions_path: Path,
    embedder: Embedder | None = None,
    pipelines: Sequence[str] = (
        "hybrid",
        "hybrid, no answerability check",
        "hybrid, no passage questions",
        "hybrid, no source questions",
        "dense",
        "lexical",
        "tutorial",
    ),
    progress: Callable[[str], None] | None = None,
    modes: Sequence[str] = (),
    generated_questions: int = 5,
    generator: Generator | None = None,
) -> EvalReport:
    """Score each pipeline, then each generated answer mode in ``modes`` on a subset of the questions."""
    embedder = embedder or Embedder.from_settings(settings)
    questions = load_questions(questions_path)
    with tempfile.TemporaryDirectory(prefix="assistant-eval-") as tmp:
        # Always an embedded scratch index: a Chroma server in the settings must not be written to.
        scratch = settings.model_copy(update={"index_dir": Path(tmp) / "index", "chroma_url": None})
        Indexer(scratch, embedder).run()
        library = Library(scratch, embedder)
        assistant = Assistant(scratch, library)
        compared = {
            "hybrid": assistant,
            "hybrid, no answerability check": Assistant(scratch, library, Pipeline(answerability=False)),
            "hybrid, no passage questions": Assistant(scratch, library, Pipeline(passage_questions=False)),
            "hybrid, no source questions": Assistant(scratch, library, Pipeline(about_sources=False)),
            "dense": Assistant(scratch, library, Pipeline(retrieval="dense")),
            "lexical": Assistant(scratch, library, Pipeline(retrieval="lexical")),
        }
        generation = library.generation()
        sources = {s.id: {"text": s.text, "kind": s.kind, "title": s.title} for s in generation.sources()}
        texts = {sid: row["text"] for sid, row in sources.items()}
        metrics = []
        for name in pipelines:
            if progress:
                progress(name)
            if name == "tutorial":
                baseline = TutorialBaseline(sources, embedder, Path(tmp) / "tutorial")
                answers = [baseline.ask(q.question, q.history) for q in questions]
            else:
                answers = [compared[name].ask(q.question, list(q.history)) for q in questions]
            metrics.append(score(name, questions, answers, texts))
        generator = generator or Generator(settings, embedder.embed)
        for mode in [m for m in modes if m != "extractive"]:
            if progress:
                progress(mode)
            subset = spread(questions, generated_questions)
            if len(subset) < len(questions):
                plain = [assistant.ask(q.question, list(q.history)) for q in subset]
                metrics.append(score(f"hybrid, extractive ({len(subset)} questions)", subset, plain, texts))
            writer = Assistant(scratch.model_copy(update={"answer_mode": mode}), library, generator=generator)
            answers = [writer.ask(q.question, list(q.history)) for q in subset]
            generated = score(f"hybrid, {mode} ({len(subset)} questions)", subset, answers, texts)
            generated.kept, generated.fell_back = kept_share(answers)
            metrics.append(generated)
        pairs = support_pairs(assistant, questions, texts)
        calibration = calibrate(assistant, questions)
        hostile = robustness(assistant)
        library.close()
    return EvalReport(
        metrics=metrics, questions=len(questions), calibration=calibration, robustness=hostile, support_pairs=pairs
    )


def calibrate(assistant: Assistant, questions: Sequence[EvalQuestion]) -> dict[str, Any]:
    """The best similarity of a passage's own text per question, split by whether it is answerable.

    The answer threshold belongs between the highest out-of-scope score and
    the lowest answerable ones; these figures show how wide that gap is.
    """
    from assistant.answer.kinds import contextual_query

    settings = assistant.settings
    best: dict[str, list[float]] = {"answerable": [], "out_of_scope": [], "near_miss": []}
    for q in questions:
        hits = assistant.retriever().search(contextual_query(q.question, q.history), settings.candidates)
        value = max((h.direct for h in hits), default=0.0)
        key = "answerable" if q.answerable else q.category
        best.setdefault(key, []).append(value)
    return {
        "threshold": settings.answer_threshold,
        "highest_out_of_scope": round(max(best["out_of_scope"], default=0.0), 3),
        "lowest_answerable": sorted(round(v, 3) for v in best["answerable"])[:5],
        "near_miss_range": [round(min(best["near_miss"], default=0), 3), round(max(best["near_miss"], default=0), 3)],
    }


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table.

    >>> print(format_table(["a", "bb"], [["1", "2"]]))
    | a | bb |
    |---|----|
    | 1 | 2  |
    """
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"  # noqa: E731
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def run_full_eval(
    settings: Settings,
    question_paths: Sequence[Path],
    crisis_paths: Sequence[Path] = (),
    embedder: Embedder | None = None,
    progress: Callable[[str], None] | None = None,
    modes: Sequence[str] = (),
    generated_questions: int = 5,
) -> dict[str, Any]:
    """Every figure `assistant eval` prints, as data and as text: each question set, then the crisis check.

    ``modes``: the answer modes to run besides the extractive pipelines (each on ``generated_questions``
    questions per set, evenly spread; 0: all).
    """
    import dataclasses

    embedder = embedder or Embedder.from_settings(settings)
    sections: list[str] = []
    result: dict[str, Any] = {"sets": []}
    report: EvalReport | None = None
    generator = Generator(settings, embedder.embed)  # one per run: a local model loads once
    pairs: list[Pair] = []
    for path in question_paths:
        report = run_eval(
            settings, path, embedder, progress=progress, modes=modes, generated_questions=generated_questions,
            generator=generator,
        )  # fmt: skip
        pairs += report.support_pairs
        sections += [
            f"Answers on {path} ({report.questions} question{'' if report.questions == 1 else 's'})",
            format_table(HEADER, [m.row() for m in report.metrics]),
            "Hybrid pipeline by category",
            format_table(
                ["category", "questions", "hit@1", "fact"],
                [
                    [name, str(n), f"{hits / n:.2f}", f"{facts / n:.2f}"]
                    for name, (n, hits, facts) in sorted(report.metrics[0].by_category.items())
                ],
            ),
            "Calibration (best dense similarity): " + json.dumps(report.calibration),
        ]
        result["sets"].append(
            {
                "path": str(path),
                "questions": report.questions,
                "metrics": [dataclasses.asdict(m) for m in report.metrics],
                "calibration": report.calibration,
            }
        )
    result["verification_calibration"] = calibrate_support(embedder.embed, pairs, settings)
    sections.append(
        "Verification of generated sentences, calibrated on stand-ins from these sets: "
        + json.dumps(result["verification_calibration"])
    )
    result["crisis"] = []
    if crisis_paths:
        from assistant.evaluation import crisis

        safety_embed = safety_embedder(settings).embed
        for crisis_path in crisis_paths:
            items = crisis.load_labelled(crisis_path)
            found = crisis.levels(items, crisis.cached(safety_embed, items))
            summary = crisis.summary_rows(items, found)
            by_category = crisis.category_rows(items, found["rules + classifier (product)"])
            result["crisis"].append({"path": str(crisis_path), "summary": summary, "categories": by_category})
            sections += [
                f"Safety check on {crisis_path} (95% bootstrap intervals)",
                format_table(crisis.SUMMARY_HEADER, summary),
                "The product by category",
                format_table(crisis.CATEGORY_HEADER, by_category),
            ]
        concern, flagged_crisis, total = crisis.ordinary_questions_flagged(question_paths, safety_embed)
        result["ordinary_flagged"] = {"concern": concern, "crisis": flagged_crisis, "questions": total}
        sections.append(
            f"Safety check on the ordinary question sets: concern {concern}/{total}, crisis {flagged_crisis}/{total}"
        )
    result["robustness"] = report.robustness if report else []
    sections += [
        "Robustness (hostile and unusual questions)",
        format_table(
            ["input", "expected", "outcome", "ok"],
            [[r["input"], r["expected"], r["outcome"], "yes" if r["ok"] else "NO"] for r in result["robustness"]],
        ),
    ]
    result["text"] = "\n\n".join(sections)
    return result
