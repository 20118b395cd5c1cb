"""Questions the corpus must never seem to answer, whatever it contains.

The corpus is an essay on self-compassion. A question about medication or
doses can share words with it ("anxiety", "stress") and would otherwise be
answered with a loosely related passage, which a reader could take as medical
advice. Such questions are answered ``not_found`` with a pointer to a
professional.

Not handled on purpose: general health questions without medication or
dosing ("does sleep help stress?"); the similarity threshold handles those.
"""

from __future__ import annotations

import re

MEDICAL_NOTE = (
    "Questions about medication, doses or diagnoses need a doctor or a pharmacist; "
    "this assistant only quotes an essay on self-compassion and its references."
)

_MEDICAL = re.compile(
    r"\b(?:dose|doses|dosage|dosing|overdose|mg|milligrams?|mcg|prescri\w*|medications?|medicines?|meds|pills?|tablets?"
    r"|antidepressants?|ssris?|snris?|benzodiazepines?|sertraline|zoloft|fluoxetine|prozac|escitalopram|lexapro"
    r"|citalopram|paroxetine|venlafaxine|bupropion|xanax|alprazolam|valium|diazepam|lorazepam|ativan|lithium"
    r"|quetiapine|ibuprofen|paracetamol|acetaminophen|tylenol|aspirin|melatonin|diagnos\w*)\b",
    re.IGNORECASE,
)


def is_medical_question(question: str) -> bool:
    """Whether a question asks about medication, doses or diagnosis.

    >>> is_medical_question("What dose of sertraline is usual for anxiety?")
    True
    >>> is_medical_question("Can self-compassion lower anxiety?")
    False
    """
    return bool(_MEDICAL.search(question))
